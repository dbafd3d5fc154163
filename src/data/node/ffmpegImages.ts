/**
 * Frame and flow images (JPEG, PNG) read by ffmpeg instead of a canvas, for decoding in Node: the image scaled to
 * S x S with the same area filter as video frames, as RGBA (what the canvas reader hands back).
 */
import type { FfmpegExec, ImageReader } from '../decode/decodeClip';
import { explainFfmpegFailure } from '../decode/ffmpegLog';

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : 'img';
}

/** An ImageReader running `ffmpeg -i IMAGE -vf scale=S:S:flags=area -pix_fmt rgba`; throws with ffmpeg's reason. */
export function ffmpegImageReader(ffmpeg: FfmpegExec): ImageReader {
  return async (file, size) => {
    const name = `image.${extension(file instanceof File ? file.name : '')}`;
    const args = ['-hide_banner', '-i', `/in/${name}`, '-frames:v', '1', '-vf', `scale=${size}:${size}:flags=area`, '-pix_fmt', 'rgba', '-f', 'rawvideo', '/out/i.rgba'];
    const run = await ffmpeg.run(file, name, args, ['i.rgba'], 30_000);
    const bytes = run.outputs.get('i.rgba');
    if (run.ret !== 0 || !bytes || bytes.length < size * size * 4) throw new Error(explainFfmpegFailure(run.log));
    return bytes.subarray(0, size * size * 4);
  };
}
