import { ApiError, errorMessage } from '../lib/api';

/** Shows an API error's `message` (and validation field messages) to the user. */
export function ErrorMessage({ error, testId = 'error' }: { error: unknown; testId?: string }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fieldMessages : [];
  return (
    <div className="error" role="alert" data-testid={testId}>
      {errorMessage(error)}
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
