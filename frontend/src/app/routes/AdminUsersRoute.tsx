import { AdminUsersPage } from '../../features/admin/components/AdminUsersPage';
import { useAuth } from '../auth';

/** /admin/users – site admins only; anyone else sees the not-found page (the API says 403). */
export function AdminUsersRoute() {
  const { user } = useAuth();
  if (!user?.is_staff) return <p>Page not found.</p>;
  return <AdminUsersPage meId={user.id} />;
}
