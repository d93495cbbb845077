// The two live panes: a topic's records and the broker's log lines, over the WebSocket streams
// of docs/tailing.md. Each pane keeps its last LINES_MAX lines.
const LINES_MAX = 200;

function appendLine(pre, text) {
  pre.append(`${text}\n`);
  while (pre.childNodes.length > LINES_MAX) pre.firstChild.remove();
  pre.scrollTop = pre.scrollHeight;
}

function wsUrl(path) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** Opens a stream into a pane; returns a function that closes it. */
function stream(path, pre, state, format) {
  const ws = new WebSocket(wsUrl(path));
  pre.replaceChildren();
  state.textContent = 'connecting';
  ws.onopen = () => {
    state.textContent = 'open';
  };
  ws.onclose = (e) => {
    state.textContent = `closed${e.reason ? `: ${e.reason}` : ''}`;
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const text = format(m);
    if (text !== null) appendLine(pre, text);
  };
  return () => ws.close();
}

function formatRecord(m) {
  switch (m.type) {
    case 'subscribed':
      return m.partitions ? `-- tailing ${m.topic}, partitions ${m.partitions.join(',')}` : null;
    case 'record':
      return `${m.partition}@${m.offset} ${new Date(m.timestamp).toISOString()} ${m.key ?? '(null)'} = ${m.value ?? '(null)'}`;
    case 'dropped':
      return `-- ${m.count} records skipped (this page fell behind)`;
    default:
      return `-- ${m.type}: ${m.message ?? ''}`;
  }
}

function formatLog(m) {
  if (m.type === 'live') return '-- live';
  if (m.type !== 'log') return m.type === 'dropped' ? `-- ${m.count} lines skipped` : null;
  if (typeof m.line === 'string') return m.line;
  // pid and hostname are the same on every line of one broker.
  const { level, time, msg, pid: _pid, hostname: _hostname, node: _node, ...rest } = m.line;
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  return `${time ?? ''} ${level} ${msg ?? ''}${extra}`;
}

export function openTopicTail(topic) {
  return stream(`/v1/ws/topics/${encodeURIComponent(topic)}?from=end`, document.getElementById('tail'), document.getElementById('tail-state'), formatRecord);
}

export function openLogTail(level) {
  return stream(`/v1/ws/logs?level=${encodeURIComponent(level)}`, document.getElementById('logs'), document.getElementById('logs-state'), formatLog);
}
