import { useMemo, useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import type { ModelVersion } from '../../../types/api';
import { evaluation, perNodeErrors } from '../metrics';
import { CompareVersions } from './CompareVersions';
import { ModelVersionsTable } from './ModelVersionsTable';
import { PerNodeChart } from './PerNodeChart';

interface Props {
  versions: ModelVersion[] | undefined;
  error: unknown;
  onTrainFrom?: (version: ModelVersion) => void;
  trainDisabled?: boolean;
}

/** Model versions table, per-node error chart of the selected one and a comparison of two. */
export function ModelsSection({ versions, error, onTrainFrom, trainDisabled }: Props) {
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [compare, setCompare] = useState<[number | null, number | null] | null>(null);
  const list = versions ?? [];
  const selected = list.find((v) => v.id === selectedId) ?? list[0];
  // Default comparison: the two newest versions.
  const [aId, bId] = compare ?? [list[1]?.id ?? null, list[0]?.id ?? null];
  const rows = useMemo(
    () => (selected ? perNodeErrors(selected).map((e) => ({ label: e.node, values: [e.value] })) : []),
    [selected],
  );

  return (
    <section className="card models" data-testid="models">
      <h2>Model versions</h2>
      <ErrorMessage error={error} testId="models-error" />
      {!versions && !error && <Loading />}
      {versions && (
        <ModelVersionsTable
          versions={versions}
          selectedId={selected?.id ?? null}
          onSelect={setSelectedId}
          onTrainFrom={onTrainFrom}
          trainDisabled={trainDisabled}
        />
      )}
      {selected && (
        <div className="per-node">
          <h3>
            Per-node error of v{selected.number}{' '}
            <span className="muted small">({evaluation(selected.metrics).set === 'test' ? 'test set' : 'validation frames'})</span>
          </h3>
          <PerNodeChart rows={rows} series={[{ name: `v${selected.number}`, className: 'series-a' }]} />
        </div>
      )}
      {list.length >= 2 && <CompareVersions versions={list} aId={aId} bId={bId} onChange={(a, b) => setCompare([a, b])} />}
    </section>
  );
}
