import type { ContainerRow } from '../docker/projections.js';

/** Short text renderings of answers: what a model reads when it ignores structuredContent. */

export function containerLine(r: ContainerRow): string {
  const state = r.health ? `${r.state} (${r.health})` : r.state;
  const parts = [r.name, state, r.image];
  if (r.ports.length) parts.push(r.ports.join(','));
  if (r.stack) parts.push(`stack=${r.stack}${r.service ? `/${r.service}` : ''}`);
  return `${r.id}  ${parts.join('  ')}`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function moreHint(shown: number, total: number, nextCursor: string | undefined): string {
  return nextCursor ? `\n(${shown} of ${total} shown; pass cursor "${nextCursor}" for more)` : '';
}
