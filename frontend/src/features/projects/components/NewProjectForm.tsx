import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { Project } from '../../../types/api';
import { createProject } from '../api/projects';

export function NewProjectForm({ onCreated }: { onCreated: (p: Project) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await createProject({ name: name.trim() }));
      setName('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit} data-testid="new-project-form">
      <h2>New project</h2>
      <input name="project-name" placeholder="Project name" value={name} onChange={(e) => setName(e.target.value)} required />
      <button type="submit" disabled={busy}>
        Create
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
