/** URL of a decoded frame JPEG (served by the backend, cached there). */
export const frameImageUrl = (videoId: number, frameIndex: number) => `/api/videos/${videoId}/frames/${frameIndex}.jpg`;
