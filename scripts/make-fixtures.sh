#!/usr/bin/env bash
# Small media fixtures for the e2e tests, made with the system ffmpeg from lavfi sources (testsrc / color / sine).
#
#   scripts/make-fixtures.sh [OUT_DIR] [--force]     (default OUT_DIR: e2e/fixtures/generated, git-ignored)
#
# Writes, at 160x120 and 10 fps, 1-2 s each:
#   clips/    h264_aac.mp4, vp9_opus.webm, flv1_mp3.flv, h264_aac.flv, xvid_mp3.avi, no_audio.mp4,
#             truncated.mp4 (first half of h264_aac.mp4), not_media.mp4 (text)
#   crema-d/  VideoFlash/*.flv (FLV1 + MP3), AudioWAV/*.wav (16 kHz mono), train.csv / test.csv (UTF-8 BOM, CRLF);
#             4 emotions x CREMA_PER_CLASS clips (default 2; the last actor of each emotion is the test clip)
#   class-folders/  train/{red,green,blue}/*.mp4 (2 each), test/{red,green,blue}/*.mp4 (1 each)
#   ucf/      classInd.txt, trainlist01.txt, testlist01.txt, UCF-101/CLASS/v_*.avi (Xvid + MP3),
#             tvl1_flow/{u,v}/v_*/frame00000N.jpg (9 grayscale flow frames per clip)
#   frame-folders/  {train,test}/CLASS/clipN/frame000N.jpg + clipN.wav
# Every class has its own tone frequency and its own colour (flow: its own horizontal motion value), so a model can
# learn each modality. The output is byte-identical between runs (bitexact flags); a second run with the same
# script and ffmpeg only checks the stamp file. Runs in a few seconds (jobs in parallel).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out=""
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) out="$arg" ;;
  esac
done
out="$(realpath -m "${out:-$script_dir/../e2e/fixtures/generated}")"
FFMPEG="${FFMPEG:-/usr/bin/ffmpeg}"
[[ -x "$FFMPEG" ]] || FFMPEG="$(command -v ffmpeg || true)"
[[ -n "$FFMPEG" ]] || { echo "make-fixtures: ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
CREMA_PER_CLASS="${CREMA_PER_CLASS:-2}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Encoders: the script needs these; Xvid falls back to ffmpeg's own MPEG-4 with the XVID tag.
encoders="$("$FFMPEG" -hide_banner -encoders 2>/dev/null)"
for enc in libx264 aac libvpx-vp9 libopus flv libmp3lame mjpeg pcm_s16le; do
  grep -qE "^ [A-Z.]{6} $enc " <<<"$encoders" || { echo "make-fixtures: $FFMPEG lacks the $enc encoder" >&2; exit 1; }
done
if grep -qE "^ [A-Z.]{6} libxvid " <<<"$encoders"; then xvid=(-c:v libxvid); else xvid=(-c:v mpeg4 -vtag xvid); fi

stamp="$(
  {
    cat "${BASH_SOURCE[0]}"
    "$FFMPEG" -version | head -1
    echo "CREMA_PER_CLASS=$CREMA_PER_CLASS"
  } | sha256sum | cut -d' ' -f1
)"
if [[ -d "$out" && -n "$(ls -A "$out")" ]]; then
  if [[ ! -f "$out/.fixtures-stamp" ]]; then
    echo "make-fixtures: $out is not empty and was not made by this script; refusing to replace it" >&2
    exit 1
  fi
  if [[ $force == 0 && "$(cat "$out/.fixtures-stamp")" == "$stamp" ]]; then
    echo "make-fixtures: $out is up to date (--force to rebuild)"
    exit 0
  fi
fi

tmp="$out.partial.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

ff() { "$FFMPEG" -hide_banner -loglevel error -nostdin -y "$@"; }
# Reproducible bytes: no encoder version strings or creation times.
exact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 -threads 1)
h264=(-c:v libx264 -preset ultrafast -pix_fmt yuv420p)
vsize="160x120"
fps=10

# Runs "$@" in the background, at most $JOBS at a time; a failure is recorded and reported at the end.
bg() {
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n || true; done
  ("$@" || echo "failed: $*" >>"$tmp/.failed") &
}
wait_all() {
  wait
  if [[ -f "$tmp/.failed" ]]; then cat "$tmp/.failed" >&2; exit 1; fi
}

test_video() { echo "testsrc=size=$vsize:rate=$fps:duration=$1"; }
# A flat class colour with a white square whose position depends on the clip index.
colour_video() { echo "color=c=$1:size=$vsize:rate=$fps:duration=$3,drawbox=x=$((10 + 25 * $2)):y=40:w=30:h=30:color=white:t=fill"; }
tone() { echo "sine=frequency=$1:sample_rate=$2:duration=$3"; }
crlf() { printf '%s\r\n' "$@"; }

# ---- single clips ------------------------------------------------------------------------------------------------
mkdir -p "$tmp/clips"
c="$tmp/clips"
bg ff -f lavfi -i "$(test_video 1.5)" -f lavfi -i "$(tone 440 44100 1.5)" "${exact[@]}" "${h264[@]}" \
  -c:a aac -ac 2 -shortest "$c/h264_aac.mp4"
bg ff -f lavfi -i "$(test_video 1)" -f lavfi -i "$(tone 660 48000 1)" "${exact[@]}" \
  -c:v libvpx-vp9 -pix_fmt yuv420p -deadline realtime -cpu-used 8 -b:v 150k -c:a libopus -ac 2 -shortest "$c/vp9_opus.webm"
bg ff -f lavfi -i "$(test_video 2)" -f lavfi -i "$(tone 550 22050 2)" "${exact[@]}" \
  -c:v flv -q:v 5 -c:a libmp3lame -ar 22050 -ac 1 -shortest "$c/flv1_mp3.flv"
bg ff -f lavfi -i "$(test_video 1.5)" -f lavfi -i "$(tone 880 44100 1.5)" "${exact[@]}" "${h264[@]}" \
  -c:a aac -ar 44100 -shortest "$c/h264_aac.flv"
bg ff -f lavfi -i "$(test_video 1.2)" -f lavfi -i "$(tone 330 44100 1.2)" "${exact[@]}" "${xvid[@]}" -q:v 5 \
  -c:a libmp3lame -ar 44100 -shortest "$c/xvid_mp3.avi"
bg ff -f lavfi -i "$(test_video 1)" "${exact[@]}" "${h264[@]}" -an "$c/no_audio.mp4"
printf 'This is a text file with a .mp4 extension; decoders must reject it.\n' >"$c/not_media.mp4"

# ---- CREMA-D style -----------------------------------------------------------------------------------------------
# emotion:colour:tone (Hz)
crema_classes=(NEU:gray:300 HAP:yellow:500 SAD:blue:700 ANG:red:1100)
sentences=(DFA IEO TIE IOM ITH ITS)
d="$tmp/crema-d"
mkdir -p "$d/VideoFlash" "$d/AudioWAV"
train_lines=()
test_lines=()
for cls in "${crema_classes[@]}"; do
  IFS=: read -r emo colour freq <<<"$cls"
  for ((i = 0; i < CREMA_PER_CLASS; i++)); do
    stem="$((1001 + i))_${sentences[i % ${#sentences[@]}]}_${emo}_XX"
    dur="1.$((2 + 2 * (i % 4)))"
    bg ff -f lavfi -i "$(colour_video "$colour" "$i" "$dur")" -f lavfi -i "$(tone "$freq" 44100 "$dur")" "${exact[@]}" \
      -c:v flv -q:v 5 -c:a libmp3lame -ar 22050 -ac 1 -shortest "$d/VideoFlash/$stem.flv"
    bg ff -f lavfi -i "$(tone "$freq" 16000 "$dur")" "${exact[@]}" -c:a pcm_s16le -ac 1 "$d/AudioWAV/$stem.wav"
    if ((i == CREMA_PER_CLASS - 1)); then test_lines+=("$stem,$emo"); else train_lines+=("$stem,$emo"); fi
  done
done
{ printf '\xEF\xBB\xBF'; crlf "${train_lines[@]}"; } >"$d/train.csv"
{ printf '\xEF\xBB\xBF'; crlf "${test_lines[@]}"; } >"$d/test.csv"

# ---- class folders -----------------------------------------------------------------------------------------------
folder_classes=(red:400 green:800 blue:1600)
for cls in "${folder_classes[@]}"; do
  IFS=: read -r colour freq <<<"$cls"
  for split in train test; do
    n=$([[ $split == train ]] && echo 2 || echo 1)
    mkdir -p "$tmp/class-folders/$split/$colour"
    for ((i = 0; i < n; i++)); do
      idx=$([[ $split == train ]] && echo "$i" || echo 2)
      bg ff -f lavfi -i "$(colour_video "$colour" "$idx" 1)" -f lavfi -i "$(tone "$freq" 44100 1)" "${exact[@]}" \
        "${h264[@]}" -c:a aac -shortest "$tmp/class-folders/$split/$colour/clip$((idx + 1)).mp4"
    done
  done
done

# ---- UCF-101 style -----------------------------------------------------------------------------------------------
# class:colour:tone:u value of the flow (128 = no motion)
ucf_classes=(ApplyEyeMakeup:orange:450:168 Archery:purple:900:88)
u="$tmp/ucf"
mkdir -p "$u/flow-templates"
crlf "1 ApplyEyeMakeup" "2 Archery" >"$u/classInd.txt"
bg ff -f lavfi -i "color=c=0x808080:size=80x60:rate=$fps:duration=0.9" "${exact[@]}" -pix_fmt yuvj420p \
  "$u/flow-templates/neutral_%06d.jpg"
ucf_train=()
ucf_test=()
ci=0
for cls in "${ucf_classes[@]}"; do
  IFS=: read -r name colour freq uval <<<"$cls"
  ci=$((ci + 1))
  hex=$(printf '%02X' "$uval")
  bg ff -f lavfi -i "color=c=0x$hex$hex$hex:size=80x60:rate=$fps:duration=0.9" "${exact[@]}" -pix_fmt yuvj420p \
    "$u/flow-templates/${name}_%06d.jpg"
  mkdir -p "$u/UCF-101/$name"
  gi=0
  for g in 08 09 01; do
    stem="v_${name}_g${g}_c01"
    bg ff -f lavfi -i "$(colour_video "$colour" "$gi" 1)" -f lavfi -i "$(tone "$freq" 44100 1)" "${exact[@]}" \
      "${xvid[@]}" -q:v 5 -c:a libmp3lame -ar 44100 -shortest "$u/UCF-101/$name/$stem.avi"
    if [[ $g == 01 ]]; then ucf_test+=("$name/$stem.avi"); else ucf_train+=("$name/$stem.avi $ci"); fi
    gi=$((gi + 1))
  done
done
crlf "${ucf_train[@]}" >"$u/trainlist01.txt"
crlf "${ucf_test[@]}" >"$u/testlist01.txt"

# ---- frame folders -----------------------------------------------------------------------------------------------
for cls in red:400 blue:1600; do
  IFS=: read -r colour freq <<<"$cls"
  for split in train test; do
    dir="$tmp/frame-folders/$split/$colour/clip_${split}"
    mkdir -p "$dir"
    bg ff -f lavfi -i "$(colour_video "$colour" 1 0.5)" "${exact[@]}" -pix_fmt yuvj420p "$dir/frame%04d.jpg"
    bg ff -f lavfi -i "$(tone "$freq" 22050 1)" "${exact[@]}" -c:a pcm_s16le "$dir.wav"
  done
done

wait_all

# Derived files, once their sources exist.
size=$(stat -c %s "$c/h264_aac.mp4")
head -c $((size / 2)) "$c/h264_aac.mp4" >"$c/truncated.mp4"
for cls in "${ucf_classes[@]}"; do
  IFS=: read -r name _ _ _ <<<"$cls"
  for g in 08 09 01; do
    stem="v_${name}_g${g}_c01"
    mkdir -p "$u/tvl1_flow/u/$stem" "$u/tvl1_flow/v/$stem"
    for f in "$u/flow-templates/${name}_"*.jpg; do cp "$f" "$u/tvl1_flow/u/$stem/frame${f##*_}"; done
    for f in "$u/flow-templates/neutral_"*.jpg; do cp "$f" "$u/tvl1_flow/v/$stem/frame${f##*_}"; done
  done
done
rm -rf "$u/flow-templates"

echo "$stamp" >"$tmp/.fixtures-stamp"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
trap - EXIT
echo "make-fixtures: wrote $(find "$out" -type f ! -name '.*' | wc -l) files to $out"
