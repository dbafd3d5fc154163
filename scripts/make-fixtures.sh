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
#   badinput/ the bad-input corpus (e2e/fixtures/badInputs.ts lists every item with the lab's expected verdict):
#             clips/ (class folders: truncated, empty, text, missing tracks, unknown and AV1 codecs, damaged streams,
#             0.2 s, 10 min, 4K, 1 frame, variable frame rate, 8 kHz and 96 kHz 6-channel WAVs, odd names),
#             dup-stems/, split-missing/, labels-outside/ (CREMA-D), ucf-unknown-class/ (UCF-101), empty-class/,
#             many-files/ (10 000 files in one folder, nearly all ignored), only-ignored/
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
FFPROBE="${FFPROBE:-$(dirname "$FFMPEG")/ffprobe}"
[[ -x "$FFPROBE" ]] || FFPROBE="$(command -v ffprobe || true)"
[[ -n "$FFPROBE" ]] || { echo "make-fixtures: ffprobe not found (it comes with ffmpeg)" >&2; exit 1; }
CREMA_PER_CLASS="${CREMA_PER_CLASS:-2}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Encoders: the script needs these; Xvid falls back to ffmpeg's own MPEG-4 with the XVID tag.
encoders="$("$FFMPEG" -hide_banner -encoders 2>/dev/null)"
for enc in libx264 aac libvpx-vp9 libopus flv libmp3lame mjpeg pcm_s16le mpeg4 libaom-av1; do
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

# ---- bad-input corpus --------------------------------------------------------------------------------------------
# Every item and the verdict the lab must reach on it: e2e/fixtures/badInputs.ts. Sources are small (160x120 or less,
# a few seconds) except where the item is about size or length.
b="$tmp/badinput"
bc="$b/clips"
mkdir -p "$bc/train/a" "$bc/train/b" "$bc/test/a" "$bc/test/b" "$b/parts"
av() { # av DURATION TONE OUT [extra encoder args...]: test pattern + tone, H.264 + AAC unless the extra args say else
  local dur="$1" freq="$2" dst="$3"
  shift 3
  ff -f lavfi -i "$(test_video "$dur")" -f lavfi -i "$(tone "$freq" 44100 "$dur")" "${exact[@]}" "${h264[@]}" -c:a aac -shortest "$@" "$dst"
}
bg av 1 450 "$bc/test/a/good1.mp4"
bg av 1 650 "$bc/test/b/good2.mp4"
bg av 1 450 "$bc/train/a/good3.mp4"
bg av 1 650 "$bc/train/b/good4.mp4"
# Sources of the truncated items: 4 s, with the MP4 index first (faststart) so that the cuts fall where they say.
bg av 4 500 "$b/parts/long4s.mp4" -movflags +faststart
bg ff -f lavfi -i "$(test_video 4)" -f lavfi -i "$(tone 500 22050 4)" "${exact[@]}" -c:v flv -q:v 5 -c:a libmp3lame -ar 22050 -ac 1 \
  -shortest "$b/parts/long4s.flv"
bg ff -f lavfi -i "$(test_video 3)" -f lavfi -i "$(tone 500 44100 3)" "${exact[@]}" -c:v mpeg4 -vtag xvid -q:v 5 -c:a libmp3lame \
  -shortest "$b/parts/mpeg4.avi"
bg ff -f lavfi -i "$(test_video 3)" -f lavfi -i "$(tone 500 22050 3)" "${exact[@]}" "${h264[@]}" -c:a libmp3lame -ar 22050 \
  -shortest "$b/parts/h264.flv"
: >"$bc/train/a/zero.mp4"
printf 'Not a video: a text file with a .mp4 extension.\n' >"$bc/train/a/text.mp4"
bg ff -f lavfi -i "$(test_video 1)" "${exact[@]}" "${h264[@]}" -an "$bc/train/a/no_audio.mp4"
bg ff -f lavfi -i "$(test_video 1)" "${exact[@]}" "${h264[@]}" -an "$bc/train/b/no_audio_wav.mp4"
bg ff -f lavfi -i "$(tone 700 16000 1)" "${exact[@]}" -c:a pcm_s16le "$bc/train/b/no_audio_wav.wav"
bg ff -f lavfi -i "$(tone 700 44100 1)" "${exact[@]}" -c:a aac "$bc/train/a/audio_only.mp4"
bg ff -f lavfi -i "$(tone 700 44100 1)" "${exact[@]}" -c:a aac "$bc/train/b/audio_only_wav.mp4"
bg ff -f lavfi -i "$(tone 700 16000 1)" "${exact[@]}" -c:a pcm_s16le "$bc/train/b/audio_only_wav.wav"
bg ff -f lavfi -i "$(tone 700 16000 1)" "${exact[@]}" -c:a pcm_s16le "$bc/train/a/lonely.wav"
bg ff -f lavfi -i "$(test_video 1)" -f lavfi -i "$(tone 600 48000 1)" "${exact[@]}" -c:v libaom-av1 -cpu-used 8 -row-mt 0 -b:v 60k \
  -c:a libopus -ac 2 -shortest "$bc/train/b/av1.mkv"
bg av 0.2 800 "$bc/train/a/short_0.2s.mp4"
# 10 minutes at 64 x 48, 2 fps and 8 kHz audio: about 1 MB.
bg ff -f lavfi -i "testsrc=size=64x48:rate=2:duration=600" -f lavfi -i "$(tone 300 8000 600)" "${exact[@]}" "${h264[@]}" -g 20 \
  -c:a aac -b:a 12k -ac 1 -shortest "$bc/train/b/long_10min.mp4"
# 4K frames: two flat frames (one second at 2 fps) and a tone.
bg ff -f lavfi -i "color=c=navy:size=3840x2160:rate=2:duration=1,drawbox=x=1000:y=600:w=800:h=800:color=white:t=fill" \
  -f lavfi -i "$(tone 900 44100 1)" "${exact[@]}" "${h264[@]}" -c:a aac -shortest "$bc/train/a/frames_4k.mp4"
# One frame shown for a second (1 fps), with a second of audio.
bg ff -f lavfi -i "testsrc=size=160x120:rate=1:duration=1" -f lavfi -i "$(tone 900 44100 1)" "${exact[@]}" "${h264[@]}" -c:a aac \
  "$bc/train/b/one_frame.mp4"
# Variable frame rate: 10 frames 50 ms apart, then 10 frames 150 ms apart.
bg ff -f lavfi -i "testsrc=size=160x120:rate=20:duration=1" -f lavfi -i "$(tone 550 44100 2)" "${exact[@]}" \
  -vf "setpts='if(lt(N,10),N*0.05,0.5+(N-10)*0.15)/TB'" -fps_mode vfr "${h264[@]}" -c:a aac -shortest "$bc/train/a/vfr.mp4"
bg ff -f lavfi -i "$(test_video 1)" "${exact[@]}" "${h264[@]}" -an "$bc/train/a/wav8k.mp4"
bg ff -f lavfi -i "$(tone 1000 8000 1)" "${exact[@]}" -c:a pcm_s16le "$bc/train/a/wav8k.wav"
bg ff -f lavfi -i "$(test_video 1)" "${exact[@]}" "${h264[@]}" -an "$bc/train/b/wav96k.mp4"
bg ff -f lavfi -i "$(tone 1000 96000 1)" "${exact[@]}" -af "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0" -c:a pcm_s16le \
  "$bc/train/b/wav96k.wav"
bg av 1 450 "$bc/train/a/clip with spaces.mp4"
bg av 1 450 "$bc/train/a/clïp ünïcödé 日本.mp4"
bg av 1 650 "$bc/train/b/clip #1 100%.mp4"

# CREMA-D sets: a stem twice (VideoFlash/ and another folder), split lists naming missing clips, labels outside the list.
for set in dup-stems split-missing labels-outside; do mkdir -p "$b/$set/VideoFlash"; done
mkdir -p "$b/dup-stems/Copy"
crema_clip() { # crema_clip OUT COLOUR TONE
  ff -f lavfi -i "$(colour_video "$2" 0 1)" -f lavfi -i "$(tone "$3" 44100 1)" "${exact[@]}" -c:v flv -q:v 5 -c:a libmp3lame \
    -ar 22050 -ac 1 -shortest "$1"
}
for set in dup-stems split-missing labels-outside; do
  for stem in 1001_DFA_ANG_XX:red:1100 1002_IEO_ANG_XX:red:1100 1001_DFA_NEU_XX:gray:300 1002_IEO_NEU_XX:gray:300; do
    IFS=: read -r name colour freq <<<"$stem"
    bg crema_clip "$b/$set/VideoFlash/$name.flv" "$colour" "$freq"
  done
done
bg crema_clip "$b/dup-stems/Copy/1001_DFA_ANG_XX.flv" yellow 500
bg crema_clip "$b/labels-outside/VideoFlash/1003_TIE_XYZ_XX.flv" purple 900
{ printf '\xEF\xBB\xBF'; crlf 1001_DFA_ANG_XX,ANG 1001_DFA_NEU_XX,NEU 1099_ITS_HAP_XX,HAP; } >"$b/split-missing/train.csv"
{ printf '\xEF\xBB\xBF'; crlf 1002_IEO_ANG_XX,ANG 1002_IEO_NEU_XX,NEU 1098_ITS_SAD_XX,SAD; } >"$b/split-missing/test.csv"
# A label that disagrees with the name, and a line for the clip whose emotion code is not CREMA-D's.
{ printf '\xEF\xBB\xBF'; crlf 1001_DFA_ANG_XX,HAP 1001_DFA_NEU_XX,NEU 1003_TIE_XYZ_XX,XYZ; } >"$b/labels-outside/train.csv"
{ printf '\xEF\xBB\xBF'; crlf 1002_IEO_ANG_XX,ANG 1002_IEO_NEU_XX,NEU; } >"$b/labels-outside/test.csv"

# Class folders: a class folder with only a hidden file, an empty one, a class without test clips.
e="$b/empty-class"
mkdir -p "$e/train/red" "$e/train/green" "$e/train/blue" "$e/train/purple" "$e/test/red" "$e/test/green" "$e/test/purple"
for cls in red:400 green:800; do
  IFS=: read -r colour freq <<<"$cls"
  bg ff -f lavfi -i "$(colour_video "$colour" 0 1)" -f lavfi -i "$(tone "$freq" 44100 1)" "${exact[@]}" "${h264[@]}" -c:a aac \
    -shortest "$e/train/$colour/clip1.mp4"
  bg ff -f lavfi -i "$(colour_video "$colour" 1 1)" -f lavfi -i "$(tone "$freq" 44100 1)" "${exact[@]}" "${h264[@]}" -c:a aac \
    -shortest "$e/test/$colour/clip2.mp4"
done
bg ff -f lavfi -i "$(colour_video blue 0 1)" -f lavfi -i "$(tone 1600 44100 1)" "${exact[@]}" "${h264[@]}" -c:a aac -shortest \
  "$e/train/blue/clip1.mp4"
printf 'junk' >"$e/train/purple/.DS_Store"

# 10 000 files in one folder: two clips (copies) and 9 998 small files the planner ignores; made without a process each.
m="$b/many-files"
mkdir -p "$m/red" "$m/blue"
for ((i = 0; i < 9998; i++)); do
  printf -v name 'note_%05d.json' "$i"
  printf '{"i":%d}\n' "$i" >"$m/red/$name"
done

o="$b/only-ignored"
mkdir -p "$o/docs"
printf '# notes\n' >"$o/README.md"
printf '{}\n' >"$o/docs/meta.json"
printf 'print(1)\n' >"$o/docs/tool.py"
printf 'junk' >"$o/.DS_Store"
printf 'junk' >"$o/Thumbs.db"

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

# Bad-input items cut or patched from their sources.
cut() { head -c "$2" "$1" >"$3"; }
fsize() { stat -c %s "$1"; }
cut "$b/parts/long4s.mp4" 600 "$bc/train/a/trunc_header.mp4"
IFS=, read -r pos len < <("$FFPROBE" -v error -select_streams v:0 -show_entries packet=pos,size -read_intervals '%+#1' -of csv=p=0 \
  "$b/parts/long4s.mp4")
cut "$b/parts/long4s.mp4" $((pos + len)) "$bc/train/a/trunc_first_frame.mp4"
cut "$b/parts/long4s.mp4" $(($(fsize "$b/parts/long4s.mp4") / 2)) "$bc/train/b/trunc_mid.mp4"
cut "$b/parts/long4s.flv" $(($(fsize "$b/parts/long4s.flv") / 2)) "$bc/train/b/trunc_mid.flv"
# Damaged streams: 2 kB of every 7th byte flipped from the middle on (ffmpeg conceals and goes on).
damage() { # damage IN OUT: a copy with bytes XOR 0x5a at middle + 7k, k < 300
  cp "$1" "$2"
  local size mid k
  size=$(fsize "$1")
  mid=$((size / 2))
  for ((k = 0; k < 300; k++)); do printf '\x5a' | dd of="$2" bs=1 seek=$((mid + 7 * k)) conv=notrunc status=none; done
}
damage "$b/parts/mpeg4.avi" "$bc/train/a/damaged_mpeg4.avi"
damage "$b/parts/h264.flv" "$bc/train/b/damaged_h264.flv"
# An unknown codec: the Xvid AVI with its codec tags renamed ZZZZ.
cp "$b/parts/mpeg4.avi" "$bc/train/b/unknown_codec.avi"
while IFS=: read -r off _; do
  printf 'ZZZZ' | dd of="$bc/train/b/unknown_codec.avi" bs=1 seek="$off" conv=notrunc status=none
done < <(grep -obaE 'xvid|XVID' "$b/parts/mpeg4.avi")
rm -rf "$b/parts"
for f in "$e/train/red/clip1.mp4" "$e/test/red/clip2.mp4"; do cp "$f" "$m/red/${f##*/}"; done
for f in "$e/train/green/clip1.mp4" "$e/test/green/clip2.mp4"; do cp "$f" "$m/blue/${f##*/}"; done
# UCF-101 with a video of a class classInd.txt does not list.
uu="$b/ucf-unknown-class"
mkdir -p "$uu/UCF-101/Bowling"
cp "$u/classInd.txt" "$u/trainlist01.txt" "$u/testlist01.txt" "$uu/"
cp -r "$u/UCF-101/ApplyEyeMakeup" "$u/UCF-101/Archery" "$uu/UCF-101/"
cp "$u/UCF-101/Archery/v_Archery_g08_c01.avi" "$uu/UCF-101/Bowling/v_Bowling_g01_c01.avi"

echo "$stamp" >"$tmp/.fixtures-stamp"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
trap - EXIT
echo "make-fixtures: wrote $(find "$out" -type f ! -name '.*' | wc -l) files to $out"
