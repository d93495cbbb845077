// The dashboard's entry module: every REFRESH_MS it reads the admin API and /metrics of the
// broker that served the page and redraws the panes (docs/dashboard.md). One refresh at a time;
// the next starts REFRESH_MS after the last one ended, so a slow broker is not piled on.
// With http.auth on, it shows its login form first (and again when the session ends); the
// broker's cookie then carries every request and WebSocket (docs/security.md).
import { getJson, LoginRequired, login, metricSums, Rates } from './api.js';
import { RATE_METRICS, renderBrokers, renderGroups, renderLeaders, renderRaft, renderRates, renderTopicNames } from './panes.js';
import { openLogTail, openTopicTail } from './tails.js';

const REFRESH_MS = 1000;
/** Topics and consumer groups described per refresh; the rest are left out (the admin API lists them all). */
const TOPICS_SHOWN_MAX = 50;
const GROUPS_SHOWN_MAX = 20;
const ELECTIONS = 'runnel_raft_elections_total';

const rates = new Rates();
let lastCluster = null;

function banner(text) {
  const b = document.getElementById('banner');
  b.hidden = text === null;
  b.textContent = text ?? '';
}

async function topicsDescribed() {
  const { topics } = await getJson('/v1/topics');
  const names = topics.filter((t) => !t.internal).map((t) => t.name);
  renderTopicNames(names);
  return Promise.all(names.slice(0, TOPICS_SHOWN_MAX).map((n) => getJson(`/v1/topics/${encodeURIComponent(n)}`)));
}

async function consumerGroups() {
  const { groups } = await getJson('/v1/groups');
  // A group deleted between the two requests is skipped, not an error.
  const described = await Promise.all(groups.slice(0, GROUPS_SHOWN_MAX).map((g) => getJson(`/v1/groups/${encodeURIComponent(g.groupId)}`).catch(() => null)));
  return described.filter((g) => g !== null);
}

let authMode = 'none';
let loggedIn = null;

/** Shows the login form for the broker's mode; resolves once a login succeeded. */
function askLogin(why) {
  const form = document.getElementById('login');
  document.querySelector('main').hidden = true;
  form.hidden = false;
  document.getElementById('login-why').textContent = why;
  for (const label of form.querySelectorAll('label')) label.hidden = label.dataset.mode !== authMode;
  loggedIn ??= new Promise((resolve) => {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const body =
        authMode === 'token'
          ? { token: document.getElementById('login-token').value }
          : { username: document.getElementById('login-user').value, password: document.getElementById('login-password').value };
      try {
        await login(body);
      } catch (err) {
        document.getElementById('login-why').textContent = err.message;
        return;
      }
      for (const input of form.querySelectorAll('input')) input.value = '';
      form.hidden = true;
      document.querySelector('main').hidden = false;
      loggedIn = null;
      resolve();
    };
  });
  return loggedIn;
}

async function refresh() {
  let cluster;
  try {
    cluster = await getJson('/v1/cluster');
  } catch (err) {
    if (err instanceof LoginRequired) {
      await askLogin(err.message);
      openTails();
      return;
    }
    // The broker that served the page is gone: every broker's health is unknown from here, so all show down.
    banner(`broker unreachable (${err.message}); retrying`);
    if (lastCluster) renderBrokers(lastCluster, new Map(), false);
    return;
  }
  lastCluster = cluster;
  banner(null);
  document.getElementById('identity').textContent = `cluster ${cluster.clusterId} · ${cluster.mode} · page served by broker ${cluster.nodeId}`;
  const [topics, raft, sums, groups] = await Promise.allSettled([
    topicsDescribed(),
    getJson('/v1/raft/groups'),
    metricSums([...RATE_METRICS, ELECTIONS]),
    consumerGroups(),
  ]);
  const leads = new Map();
  if (topics.status === 'fulfilled') {
    for (const t of topics.value) for (const p of t.partitions) if (p.leader >= 0) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
    renderLeaders(topics.value, cluster.nodeId);
  }
  renderBrokers(cluster, leads, true);
  if (sums.status === 'fulfilled') {
    rates.add(sums.value, performance.now());
    renderRates(rates.history);
  }
  if (raft.status === 'fulfilled') renderRaft(raft.value.groups, sums.status === 'fulfilled' ? sums.value[ELECTIONS] : undefined);
  if (groups.status === 'fulfilled') renderGroups(groups.value);
}

async function loop() {
  try {
    await refresh();
  } finally {
    setTimeout(loop, REFRESH_MS);
  }
}

let closeTail = null;
document.getElementById('tail-form').addEventListener('submit', (e) => {
  e.preventDefault();
  closeTail?.();
  closeTail = openTopicTail(document.getElementById('tail-topic').value.trim());
});

let closeLogs = () => undefined;
/** (Re)opens the log tail: at start, and after a login (a tail refused for want of one has closed). */
function openTails() {
  closeLogs();
  closeLogs = openLogTail(document.getElementById('logs-level').value);
}
document.getElementById('logs-level').addEventListener('change', openTails);

async function start() {
  // The mode decides the login form's fields; a page whose cookie is still good goes straight on.
  const session = await getJson('/v1/auth/session').catch(() => ({ mode: 'none', principal: null }));
  authMode = session.mode;
  if (authMode !== 'none' && session.principal === null) await askLogin(`this broker wants a ${authMode === 'token' ? 'token' : 'user and password'}`);
  openTails();
  void loop();
}

void start();
