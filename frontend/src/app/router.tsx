/** The SPA's routes. Django serves index.html for each of these paths. */
import { Route, Routes } from 'react-router-dom';
import { RequireAuth } from './auth';
import { AdminUsersRoute } from './routes/AdminUsersRoute';
import { InviteRoute } from './routes/InviteRoute';
import { Layout } from './Layout';
import { LabelingRoute } from './routes/LabelingRoute';
import { LoginRoute } from './routes/LoginRoute';
import { ProjectListRoute } from './routes/ProjectListRoute';
import { ProjectRoute } from './routes/ProjectRoute';
import { ProofreadRoute } from './routes/ProofreadRoute';
import { ReviewRoute } from './routes/ReviewRoute';
import { SkeletonEditorRoute } from './routes/SkeletonEditorRoute';
import { SuggestionsRoute } from './routes/SuggestionsRoute';
import { TeamRoute } from './routes/TeamRoute';

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<LoginRoute />} />
        <Route path="/invite/:token" element={<InviteRoute />} />
        <Route path="/admin/users" element={<RequireAuth><AdminUsersRoute /></RequireAuth>} />
        <Route path="/" element={<RequireAuth><ProjectListRoute /></RequireAuth>} />
        <Route path="/projects/:projectId" element={<RequireAuth><ProjectRoute /></RequireAuth>} />
        <Route
          path="/projects/:projectId/videos/:videoId/label"
          element={<RequireAuth><LabelingRoute /></RequireAuth>}
        />
        <Route path="/projects/:projectId/team" element={<RequireAuth><TeamRoute /></RequireAuth>} />
        <Route path="/projects/:projectId/review" element={<RequireAuth><ReviewRoute /></RequireAuth>} />
        <Route path="/projects/:projectId/skeleton" element={<RequireAuth><SkeletonEditorRoute /></RequireAuth>} />
        <Route path="/projects/:projectId/suggestions" element={<RequireAuth><SuggestionsRoute /></RequireAuth>} />
        <Route
          path="/projects/:projectId/runs/:runId/proofread"
          element={<RequireAuth><ProofreadRoute /></RequireAuth>}
        />
        <Route path="*" element={<p>Page not found.</p>} />
      </Route>
    </Routes>
  );
}
