import { Link, Outlet, useNavigate } from 'react-router-dom';
import { useAuth } from './auth';

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="app">
      <header className="app-header">
        <Link to="/" className="brand">
          PoseForge
        </Link>
        {user && (
          <div className="user">
            {user.is_staff && (
              <Link to="/admin/users" data-testid="link-admin-users">
                People
              </Link>
            )}
            <span data-testid="current-user">{user.username}</span>
            <button
              type="button"
              data-testid="logout"
              className="secondary"
              onClick={async () => {
                await logout();
                navigate('/login');
              }}
            >
              Log out
            </button>
          </div>
        )}
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
