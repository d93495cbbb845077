// Renders each pane from what the admin API answered. Text goes in as textContent, never as HTML.
import { sparkline } from './sparkline.js';

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, String(v));
  node.append(...children.map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

function fillBody(table, rows) {
  table.tBodies[0].replaceChildren(...rows);
}

/** Brokers from the metadata's list; `connected` is this broker's peer link to each (itself always). */
export function renderBrokers(cluster, leads, reachable) {
  const rows = cluster.brokers.map((b) => {
    const health = !reachable || !b.connected ? 'down' : b.leaving ? 'leaving' : 'up';
    const roles = [];
    if (b.nodeId === cluster.controllerId) roles.push('controller');
    if (b.metadataRole !== 'none') roles.push(`metadata ${b.metadataRole}`);
    if (b.nodeId === cluster.nodeId) roles.push('serves this page');
    return el(
      'tr',
      { 'data-node': b.nodeId, 'data-health': health },
      el('td', null, b.nodeId),
      el('td', { class: 'health' }, health),
      el('td', null, roles.join(', ') || '-'),
      el('td', null, `${b.host}:${b.port}`),
      el('td', null, b.partitions),
      el('td', { class: 'leads' }, leads.get(b.nodeId) ?? 0),
    );
  });
  fillBody(document.getElementById('brokers'), rows);
}

/**
 * Every partition of the (non-internal) topics with its leader. Only a partition's leader knows
 * which replicas are in sync (the admin API answers isr null elsewhere), so in-sync sets and
 * under-replication (fewer in sync than assigned) are shown for the partitions the broker
 * serving the page leads; a partition with no leader counts too.
 */
export function renderLeaders(topics, servedBy) {
  let under = 0;
  let known = 0;
  const rows = [];
  for (const t of topics) {
    for (const p of t.partitions) {
      const ledHere = p.isr !== null;
      const short = p.leader < 0 || (ledHere && p.isr.length < p.replicas.length);
      if (ledHere || p.leader < 0) known++;
      if (short) under++;
      rows.push(
        el(
          'tr',
          { 'data-partition': `${t.name}-${p.partition}`, 'data-leader': p.leader, class: short ? 'under-replicated' : '' },
          el('td', null, t.name),
          el('td', null, p.partition),
          el('td', { class: 'leader' }, p.leader < 0 ? 'none' : p.leader),
          el('td', null, p.replicas.join(',')),
          el('td', { class: 'isr' }, ledHere ? p.isr.join(',') : `ask ${p.leader}`),
        ),
      );
    }
  }
  fillBody(document.getElementById('leaders'), rows);
  document.getElementById('under-replicated').textContent = `${under} under-replicated (of ${known} led by broker ${servedBy} or leaderless)`;
  document.getElementById('under-replicated').dataset.count = String(under);
}

export function renderRaft(groups, elections) {
  const rows = groups.map((g) => {
    const lags = (g.followers ?? []).map((f) => `${f.id}:${f.lag}`).join(' ') || '-';
    return el(
      'tr',
      { 'data-group': g.group },
      el('td', null, g.group),
      el('td', null, g.state),
      el('td', null, g.term),
      el('td', null, g.leader || 'unknown'),
      el('td', null, g.commit),
      el('td', null, g.applied),
      el('td', null, lags),
    );
  });
  fillBody(document.getElementById('raft'), rows);
  document.getElementById('elections').textContent = elections === undefined ? '' : `${elections} elections started here`;
}

export function renderGroups(groups) {
  const rows = groups.map((g) =>
    el('tr', { 'data-group': g.groupId }, el('td', null, g.groupId), el('td', null, g.state), el('td', null, g.members.length), el('td', null, g.lag)),
  );
  fillBody(document.getElementById('groups'), rows);
}

const RATE_LABELS = {
  runnel_topic_records_in_total: 'produced records/s',
  runnel_topic_bytes_in_total: 'produced bytes/s',
  runnel_topic_records_out_total: 'fetched records/s',
  runnel_topic_bytes_out_total: 'fetched bytes/s',
};

export const RATE_METRICS = Object.keys(RATE_LABELS);

export function renderRates(history) {
  const rows = RATE_METRICS.map((name) => {
    const series = history[name] ?? [];
    const now = series.length ? series[series.length - 1] : 0;
    // data-peak: the highest rate in the sparkline's window, for a reader (or a test) that missed the moment.
    return el(
      'div',
      { class: 'rate', 'data-metric': name, 'data-peak': Math.max(0, ...series) },
      el('b', null, RATE_LABELS[name]),
      el('span', null, Math.round(now)),
      sparkline(series),
    );
  });
  document.getElementById('rates').replaceChildren(...rows);
}

export function renderTopicNames(names) {
  document.getElementById('topic-names').replaceChildren(...names.map((n) => el('option', { value: n })));
}
