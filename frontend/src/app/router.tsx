/** The SPA's routes. Django serves index.html for each of these paths. */
import { Route, Routes } from 'react-router-dom';
import { RequireAuth } from './auth';
import { Layout } from './Layout';
import { LabelingRoute } from './routes/LabelingRoute';
import { LoginRoute } from './routes/LoginRoute';
import { ProjectListRoute } from './routes/ProjectListRoute';
import { ProjectRoute } from './routes/ProjectRoute';

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<LoginRoute />} />
        <Route path="/" element={<RequireAuth><ProjectListRoute /></RequireAuth>} />
        <Route path="/projects/:projectId" element={<RequireAuth><ProjectRoute /></RequireAuth>} />
        <Route
          path="/projects/:projectId/videos/:videoId/label"
          element={<RequireAuth><LabelingRoute /></RequireAuth>}
        />
        <Route path="*" element={<p>Page not found.</p>} />
      </Route>
    </Routes>
  );
}
