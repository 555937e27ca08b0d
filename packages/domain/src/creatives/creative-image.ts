import { imageSize } from 'image-size';
import { DomainError } from '../shared/errors';

/** Raster formats a banner may use. SVG is refused: it can carry script. */
const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;

export interface CheckedImage {
  data: Uint8Array;
  contentType: string;
  width: number;
  height: number;
}

/** Decodes a base64 upload and checks what it really is (by its bytes, not by the
 *  declared type), its size and its dimensions. */
export function checkImage(dataBase64: string, declaredType: string): CheckedImage {
  const invalid = (message: string) => new DomainError('validation_failed', message, { errors: [{ path: 'image', message }] });
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(dataBase64)) throw invalid('the image must be base64-encoded');
  const data = Buffer.from(dataBase64, 'base64');
  if (data.length === 0) throw invalid('the image is empty');
  if (data.length > MAX_IMAGE_BYTES) throw invalid(`the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MiB`);
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(data);
  } catch {
    throw invalid('the file is not a PNG, JPEG, GIF or WebP image');
  }
  const contentType = size.type ? TYPES[size.type] : undefined;
  if (!contentType) throw invalid(`images of type ${size.type ?? 'unknown'} are not accepted; use PNG, JPEG, GIF or WebP`);
  if (contentType !== declaredType) throw invalid(`the file is ${contentType}, not ${declaredType}`);
  if (!size.width || !size.height || size.width > 4000 || size.height > 4000) throw invalid('the image must be at most 4000 × 4000 pixels');
  return { data, contentType, width: size.width, height: size.height };
}
