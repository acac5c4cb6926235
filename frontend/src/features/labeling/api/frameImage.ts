/** Matches FRAME_CACHE_VERSION in backend/videos/services.py: frame JPEGs are cached by the
 * browser as immutable, so a new version needs a new URL (older versions served some frames
 * decoded wrongly). */
const FRAME_IMAGE_VERSION = 2;

/** URL of a decoded frame JPEG (served by the backend, cached there). */
export const frameImageUrl = (videoId: number, frameIndex: number) =>
  `/api/videos/${videoId}/frames/${frameIndex}.jpg?v=${FRAME_IMAGE_VERSION}`;
