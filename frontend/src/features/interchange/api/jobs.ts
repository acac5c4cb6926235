/** Import/export endpoints (backend/interchange): formats, export start, job status. */
import { api } from '../../../lib/api';
import type { ExportRequest, ImportExportJob, InterchangeFormat } from '../../../types/api';

export const getInterchangeFormats = (signal?: AbortSignal) =>
  api.get<InterchangeFormat[]>('/api/interchange/formats/', signal);

export const getImportExportJob = (jobId: number, signal?: AbortSignal) =>
  api.get<ImportExportJob>(`/api/import-export-jobs/${jobId}/`, signal);

export const startExport = (projectId: number, body: ExportRequest) =>
  api.post<ImportExportJob>(`/api/projects/${projectId}/exports/`, body);

/** The formats the backend writes, used until (or if) GET /api/interchange/formats/ answers. */
export const FALLBACK_EXPORT_FORMATS: InterchangeFormat[] = [
  { name: 'dlc', label: 'DeepLabCut project', import: true, export: true },
  { name: 'slp', label: 'SLEAP labels (.slp + videos)', import: true, export: true },
  { name: 'pkg.slp', label: 'SLEAP package (.pkg.slp, frames embedded)', import: true, export: true },
  { name: 'coco', label: 'COCO keypoints JSON + images', import: true, export: true },
  { name: 'lightning_pose', label: 'Lightning Pose CSV + images', import: true, export: true },
  { name: 'nwb', label: 'NWB (ndx-pose)', import: false, export: true },
];
