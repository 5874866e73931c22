// The trace viewer's page: a list of traces (GET /api/traces) and one trace as a waterfall
// (GET /api/traces/<id>). Plain browser JavaScript, no build step, nothing from the network.
// Every value from a span goes into the page as text (textContent), never as markup.
'use strict';

(function () {
  const PAGE_SIZE = 100;
  const FILTERS = ['q', 'run', 'variant', 'service', 'outcome', 'minMs', 'sort', 'order'];
  const $ = (selector) => document.querySelector(selector);
  const form = $('#filters');
  let shown = 0;
  let listRequest = 0;

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  function el(tag, options, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(options || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'className') node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function formatMs(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
    return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  }

  function formatTime(epochMs) {
    const d = new Date(epochMs);
    const pad = (n, w) => String(n).padStart(w || 2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  /** A stable colour per service name. */
  function serviceHue(service) {
    let hash = 0;
    for (const c of service) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    return hash % 360;
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      throw new Error(message);
    }
    return body;
  }

  function setStatus(text, isError) {
    const status = $('#status');
    status.textContent = text;
    status.classList.toggle('error', Boolean(isError));
  }

  // ---------------------------------------------------------------------------------------------
  // The list

  function filtersFromForm() {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const value = form.elements[name].value.trim();
      if (value !== '' && !(name === 'sort' && value === 'start') && !(name === 'order' && value === 'desc')) params.set(name, value);
    }
    return params;
  }

  function formFromFilters(params) {
    for (const name of FILTERS) {
      const field = form.elements[name];
      const value = params.get(name) || (name === 'sort' ? 'start' : name === 'order' ? 'desc' : '');
      // A value the select does not offer yet (its options come with the first answer) is kept as an option.
      if (field.tagName === 'SELECT' && value && ![...field.options].some((o) => o.value === value)) field.append(el('option', { value, text: value }));
      field.value = value;
    }
  }

  function fillSelect(name, facets, label) {
    const select = form.elements[name];
    const current = select.value;
    select.replaceChildren(el('option', { value: '', text: 'any' }));
    for (const f of facets) select.append(el('option', { value: f.value, text: `${label ? label(f.value) : f.value} (${f.count})` }));
    if (current && !facets.some((f) => f.value === current)) select.append(el('option', { value: current, text: `${current} (0)` }));
    select.value = current;
  }

  const outcomeLabel = (value) => (value === 'none' ? 'no checkout' : value);

  async function loadList(append) {
    const request = ++listRequest;
    const params = filtersFromForm();
    params.set('limit', String(PAGE_SIZE));
    params.set('offset', String(append ? shown : 0));
    if (!append) setStatus('Loading…');
    let list;
    try {
      list = await getJson(`/api/traces?${params}`);
    } catch (error) {
      if (request === listRequest) setStatus(`Could not load the traces: ${error.message}`, true);
      return;
    }
    if (request !== listRequest) return; // a newer request is under way
    fillSelect('run', list.facets.runs);
    fillSelect('variant', list.facets.variants);
    fillSelect('service', list.facets.services);
    fillSelect('outcome', list.facets.outcomes, outcomeLabel);
    $('#served').textContent = `Serving ${list.served.dirs.join(', ')}${list.served.live ? ' (live: press Refresh for new traces)' : ''}`;

    const body = $('#traces tbody');
    if (!append) {
      body.replaceChildren();
      shown = 0;
    }
    for (const t of list.traces) body.append(traceRow(t));
    shown += list.traces.length;
    const { runs, traces, spans } = list.indexed;
    setStatus(`${list.total.toLocaleString('en-US')} of ${traces.toLocaleString('en-US')} traces (${runs} run${runs === 1 ? '' : 's'}, ${spans.toLocaleString('en-US')} spans)${shown < list.total ? `, showing ${shown.toLocaleString('en-US')}` : ''}`);
    $('#more').hidden = shown >= list.total;
    const empty = $('#empty');
    empty.hidden = list.total > 0;
    empty.textContent =
      traces === 0
        ? list.served.live
          ? 'No traces yet. A run\u2019s traces appear once its spans are written (an experiment\u2019s after each run); press Refresh.'
          : 'These directories hold no spans.'
        : 'No trace matches these filters.';
    const problems = $('#problems');
    problems.replaceChildren(...list.problems.map((p) => el('li', { text: `Could not read all spans: ${p}` })));
    problems.hidden = list.problems.length === 0;
    for (const th of document.querySelectorAll('#traces th[data-sort]')) {
      const active = th.dataset.sort === (form.elements.sort.value || 'start');
      th.setAttribute('aria-sort', active ? (form.elements.order.value === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  function traceRow(t) {
    const link = el('a', { href: traceHref(t), text: t.rootName, title: t.traceId });
    const row = el('tr', { 'data-trace-id': t.traceId, 'data-outcome': t.outcome || 'none', 'data-variant': t.variant || '' }, [
      el('td', { text: formatTime(t.startMs) }),
      el('td', { text: t.runId }),
      el('td', { text: t.variant || '–' }),
      el('td', {}, [el('span', { className: 'service', text: `${t.rootService}: ` }), link]),
      el('td', { text: t.services.join(', ') }),
      el('td', {}, [el('span', { className: `outcome outcome-${t.outcome || 'none'}`, text: outcomeLabel(t.outcome || 'none') })]),
      el('td', { className: 'num', text: formatMs(t.checkoutMs) }),
      el('td', { className: 'num', text: formatMs(t.durationMs) }),
      el('td', { className: 'num', text: `${t.spans}${t.errors ? ` (${t.errors} error${t.errors === 1 ? '' : 's'})` : ''}` }),
    ]);
    row.addEventListener('click', (event) => {
      if (event.target.closest('a')) return; // the link opens it (below)
      openTrace(traceHref(t));
    });
    return row;
  }

  function traceHref(t) {
    return `/trace/${t.traceId}?run=${encodeURIComponent(t.runId)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // One trace

  async function loadTrace(traceId, run) {
    $('#trace-title').textContent = `Trace ${traceId}`;
    $('#trace-facts').textContent = 'Loading…';
    $('#waterfall').replaceChildren();
    $('#span-detail').hidden = true;
    let trace;
    try {
      trace = await getJson(`/api/traces/${encodeURIComponent(traceId)}${run ? `?run=${encodeURIComponent(run)}` : ''}`);
    } catch (error) {
      $('#trace-facts').textContent = `Could not load trace ${traceId}: ${error.message}`;
      $('#trace-facts').classList.add('error');
      return;
    }
    $('#trace-facts').classList.remove('error');
    const t = trace.trace;
    const facts = [
      `run ${t.runId}`,
      t.variant ? `variant ${t.variant}` : null,
      t.outcome ? `checkout ${outcomeLabel(t.outcome)} in ${formatMs(t.checkoutMs)}` : 'no checkout',
      `${formatMs(t.durationMs)} in all`,
      `${t.spans} spans${t.errors ? `, ${t.errors} with errors` : ''}`,
      `started ${formatTime(t.startMs)}`,
    ].filter(Boolean);
    const factsNode = $('#trace-facts');
    factsNode.replaceChildren(facts.join(' · '));
    if (trace.jaegerUrl) factsNode.append(' · ', el('a', { href: trace.jaegerUrl, className: 'jaeger', text: 'open in Jaeger' }));
    $('#trace-title').textContent = `${t.rootService}: ${t.rootName}`;
    drawWaterfall(trace);
  }

  function drawWaterfall(trace) {
    const total = Math.max(trace.criticalPath.totalMs, ...trace.spans.map((s) => s.startMs + s.durationMs), 0.001);
    const pct = (ms) => `${Math.max(0, Math.min(100, (ms / total) * 100))}%`;
    const segmentsBySpan = new Map();
    for (const segment of trace.criticalPath.segments) {
      if (!segmentsBySpan.has(segment.spanId)) segmentsBySpan.set(segment.spanId, []);
      segmentsBySpan.get(segment.spanId).push(segment);
    }
    const waterfall = $('#waterfall');
    const axis = el('div', { className: 'axis', 'aria-hidden': 'true' }, [el('div', { className: 'label-col' })]);
    const ticks = el('div', { className: 'bar-col' });
    for (const f of [0, 0.25, 0.5, 0.75, 1]) {
      const tick = el('span', { className: 'tick', text: formatMs(total * f) });
      tick.style.setProperty('left', `${f * 100}%`);
      ticks.append(tick);
    }
    axis.append(ticks);
    const rows = trace.spans.map((span) => spanRow(span, segmentsBySpan.get(span.spanId) || [], pct));
    waterfall.replaceChildren(axis, ...rows);
    const wanted = new URLSearchParams(location.search).get('span');
    select(trace, rows, trace.spans.findIndex((s) => s.spanId === wanted) >= 0 ? trace.spans.findIndex((s) => s.spanId === wanted) : 0);
    rows.forEach((row, i) => {
      row.addEventListener('click', () => select(trace, rows, i));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          select(trace, rows, i);
        } else if (event.key === 'ArrowDown' && rows[i + 1]) {
          event.preventDefault();
          rows[i + 1].focus();
        } else if (event.key === 'ArrowUp' && rows[i - 1]) {
          event.preventDefault();
          rows[i - 1].focus();
        }
      });
    });
  }

  function spanRow(span, segments, pct) {
    const critical = span.onCriticalPath;
    const label = el('div', { className: 'label-col' }, [
      el('span', { className: 'service-chip', title: span.service, text: span.service }),
      el('span', { className: 'span-name', text: span.name }),
    ]);
    label.style.setProperty('padding-left', `${0.3 + span.depth * 0.9}em`);
    label.querySelector('.service-chip').style.setProperty('--hue', String(serviceHue(span.service)));
    const bar = el('div', { className: 'bar', title: `${span.name}: ${formatMs(span.durationMs)}` });
    bar.style.setProperty('left', pct(span.startMs));
    bar.style.setProperty('width', `max(2px, ${pct(span.durationMs)})`);
    bar.style.setProperty('--hue', String(serviceHue(span.service)));
    for (const segment of segments) {
      // The span's own time on the critical path, drawn where it happened (relative to the bar).
      const mark = el('span', { className: 'segment' });
      const inside = span.durationMs > 0 ? span.durationMs : 1;
      mark.style.setProperty('left', `${Math.max(0, ((segment.startMs - span.startMs) / inside) * 100)}%`);
      mark.style.setProperty('width', `${Math.max(0.5, ((segment.endMs - segment.startMs) / inside) * 100)}%`);
      bar.append(mark);
    }
    for (const event of span.events) {
      const mark = el('span', { className: 'event-mark', title: `${event.name} at ${formatMs(event.timeMs)}` });
      const inside = span.durationMs > 0 ? span.durationMs : 1;
      mark.style.setProperty('left', `${Math.max(0, Math.min(100, ((event.timeMs - span.startMs) / inside) * 100))}%`);
      bar.append(mark);
    }
    const time = el('span', { className: 'bar-time', text: formatMs(span.durationMs) });
    const track = el('div', { className: 'bar-col' }, [bar, time]);
    time.style.setProperty('left', `calc(${pct(span.startMs + span.durationMs)} + 4px)`);
    const classes = ['span-row', critical ? 'critical' : 'off-path', span.status === 'error' ? 'error' : ''].filter(Boolean).join(' ');
    return el(
      'div',
      {
        className: classes,
        role: 'treeitem',
        tabindex: '0',
        'aria-level': String(span.depth + 1),
        'aria-selected': 'false',
        'data-span-id': span.spanId,
        'data-critical': critical ? 'true' : 'false',
        'aria-label': `${span.service} ${span.name}, ${formatMs(span.durationMs)}${critical ? ', on the critical path' : ''}${span.status === 'error' ? ', error' : ''}`,
      },
      [label, track],
    );
  }

  function select(trace, rows, i) {
    const span = trace.spans[i];
    if (!span) return;
    rows.forEach((row, j) => row.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    $('#span-detail').hidden = false;
    $('#span-title').textContent = `${span.service}: ${span.name}`;
    const facts = [
      `${span.kind} span`,
      `status ${span.status}${span.statusMessage ? ` (${span.statusMessage})` : ''}`,
      `starts at ${formatMs(span.startMs)}`,
      `lasts ${formatMs(span.durationMs)}`,
      span.onCriticalPath ? `on the critical path, ${formatMs(span.criticalMs)} of it its own time` : 'off the critical path',
      `span id ${span.spanId}`,
    ];
    $('#span-facts').textContent = facts.join(' · ');
    fillTable('#span-attributes', span.attributes);
    fillTable('#span-resource', span.resource);
    const events = $('#span-events');
    events.replaceChildren(
      ...span.events.map((event) =>
        el('li', {}, [el('strong', { text: event.name }), ` at ${formatMs(event.timeMs)}`, Object.keys(event.attributes).length ? kvTable(event.attributes) : '']),
      ),
    );
    $('#span-no-events').hidden = span.events.length > 0;
  }

  function kvTable(values) {
    const table = el('table', { className: 'kv' }, [el('tbody')]);
    fillRows(table.querySelector('tbody'), values);
    return table;
  }

  function fillTable(selector, values) {
    fillRows(document.querySelector(`${selector} tbody`), values);
  }

  function fillRows(body, values) {
    const keys = Object.keys(values).sort();
    body.replaceChildren(
      ...(keys.length
        ? keys.map((key) => el('tr', {}, [el('th', { scope: 'row', text: key }), el('td', { text: Array.isArray(values[key]) ? JSON.stringify(values[key]) : String(values[key]) })]))
        : [el('tr', {}, [el('td', { text: 'none' })])]),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Routing: / (the list, filters in the query string) and /trace/<id>

  function navigate(href) {
    history.pushState(null, '', href);
    route();
  }

  /** Opens a trace from the list, remembering that "back" returns to the list as it was filtered. */
  function openTrace(href) {
    history.pushState({ fromList: true }, '', href);
    route();
  }

  function route() {
    const match = /^\/trace\/([^/]+)$/.exec(location.pathname);
    $('#list-view').hidden = Boolean(match);
    $('#trace-view').hidden = !match;
    if (match) {
      const params = new URLSearchParams(location.search);
      void loadTrace(decodeURIComponent(match[1]), params.get('run'));
    } else {
      formFromFilters(new URLSearchParams(location.search));
      void loadList(false);
    }
  }

  let typing;
  function filtersChanged() {
    const params = filtersFromForm();
    history.replaceState(null, '', params.toString() ? `/?${params}` : '/');
    void loadList(false);
  }
  form.addEventListener('change', filtersChanged);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filtersChanged();
  });
  form.elements.q.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(filtersChanged, 250);
  });
  $('#refresh').addEventListener('click', () => void loadList(false));
  $('#more').addEventListener('click', () => void loadList(true));
  for (const th of document.querySelectorAll('#traces th[data-sort]')) {
    th.tabIndex = 0;
    const sortBy = () => {
      const same = form.elements.sort.value === th.dataset.sort;
      form.elements.sort.value = th.dataset.sort;
      form.elements.order.value = same && form.elements.order.value === 'desc' ? 'asc' : 'desc';
      filtersChanged();
    };
    th.addEventListener('click', sortBy);
    th.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') sortBy();
    });
  }
  for (const link of [$('#home'), $('#back')]) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      // Back to the list as it was filtered, when we came from it.
      if (history.state && history.state.fromList) history.back();
      else navigate('/');
    });
  }
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="/trace/"]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    openTrace(link.getAttribute('href'));
  });
  window.addEventListener('popstate', route);
  route();
})();
