// Files for Chromium's fake camera (--use-file-for-fake-video-capture): a Y4M clip assembled from
// grey PGM photos (ORL's 92x112 series), and an MJPEG "clip" of one still photo.
import { readFileSync, writeFileSync } from 'node:fs';

const W = 640, H = 480, FPS = 10;

// Binary PGM (P5, maxval 255) -> { width, height, data }.
export function readPgm(path) {
  const buf = readFileSync(path);
  const header = [];
  let i = 0;
  while (header.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[i]))) i++;
    if (buf[i] === 0x23) { while (buf[i] !== 0x0a) i++; continue; }  // comment
    let tok = '';
    while (!/\s/.test(String.fromCharCode(buf[i]))) tok += String.fromCharCode(buf[i++]);
    header.push(tok);
  }
  i++;  // the single whitespace after maxval
  if (header[0] !== 'P5' || header[3] !== '255') throw new Error(`${path}: not an 8-bit binary PGM`);
  const width = +header[1], height = +header[2];
  return { width, height, data: buf.subarray(i, i + width * height) };
}

// A deterministic generator, so a clip is the same on every run (sensor-like noise per frame).
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

// One 640x480 luma plane: the photo scaled (bilinear) to the frame's height, its edge columns
// stretched to the frame's width (a visible photo border would look like a print held up to the
// camera, which the passive liveness model rightly refuses), plus noise.
function frameLuma(img, rand) {
  const y = new Uint8Array(W * H);
  const scale = H / img.height;
  const ox = Math.floor((W - Math.round(img.width * scale)) / 2);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const sx = Math.min(img.width - 1, Math.max(0, (c - ox + 0.5) / scale - 0.5));
      const sy = Math.min(img.height - 1, Math.max(0, (r + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const x1 = Math.min(img.width - 1, x0 + 1), y1 = Math.min(img.height - 1, y0 + 1);
      const fx = sx - x0, fy = sy - y0;
      const p = (xx, yy) => img.data[yy * img.width + xx];
      let v = (p(x0, y0) * (1 - fx) + p(x1, y0) * fx) * (1 - fy) + (p(x0, y1) * (1 - fx) + p(x1, y1) * fx) * fy;
      v += Math.floor(rand() * 7) - 3;
      y[r * W + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return y;
}

// Writes a Y4M clip showing `photos` (PGM paths) in order, each held for `hold` frames, the whole
// pattern repeated `repeats` times; every frame has its own noise, as a camera's would.
export function writeY4m(out, photos, { hold = 2, repeats = 4 } = {}) {
  const imgs = photos.map(readPgm);
  const rand = rng(12345);
  const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${W} H${H} F${FPS}:1 Ip A1:1\n`)];
  for (let k = 0; k < repeats; k++) {
    for (const img of imgs) {
      for (let h = 0; h < hold; h++) {
        parts.push(Buffer.from('FRAME\n'), Buffer.from(frameLuma(img, rand)), chroma);
      }
    }
  }
  writeFileSync(out, Buffer.concat(parts));
}

// An MJPEG clip of a single JPEG: the fake camera shows the same still frame over and over.
export function writeStillMjpeg(out, jpegPath) {
  writeFileSync(out, readFileSync(jpegPath));
}
