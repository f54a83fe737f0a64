// The hubecon dashboard: plain JS, no build step. Every figure comes from the JSON API (/api/…);
// charts are the API's Vega-Lite specs drawn by the vendored vega-embed.
// Untrusted text (model ids, names, tags, card data) is only ever inserted as text nodes: no innerHTML anywhere.
// The address holds the state: filters in the query string (history.replaceState), the view in the hash.

const FILTERS = [
  { name: 'since', label: 'From (needs a history)', kind: 'date' },
  { name: 'until', label: 'To (needs a history)', kind: 'date' },
  { name: 'period', label: 'Period', kind: 'select', empty: '(one window)' },
  { name: 'attribution', label: 'Attribution', kind: 'select' },
  { name: 'cohort', label: 'Cohort', kind: 'select' },
  { name: 'snapshot', label: 'Snapshot', kind: 'select', empty: '(default)' },
  { name: 'country', label: 'Country', kind: 'multi' },
  { name: 'developer_type', label: 'Developer type', kind: 'checks' },
  { name: 'modality', label: 'Modality', kind: 'checks' },
  { name: 'derivative_kind', label: 'Derivative kind', kind: 'checks' },
  { name: 'exclude', label: 'Exclude', kind: 'checks' },
];
const FILTER_NAMES = FILTERS.map((filter) => filter.name);
const WINDOW = ['since', 'until', 'period', 'snapshot'];
const UNIVERSE = ['attribution', 'cohort', 'exclude', 'country', 'developer_type', 'modality', 'derivative_kind'];
const ROWS_SHOWN = 200;
const MODEL_COLUMNS = new Set(['model_id', 'root_id', 'child_id', 'parent_id', 'teacher_id']);

let options = null;
let renderCount = 0;

// -- small DOM helpers (text only) -------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function modelHref(id) { return '#/model/' + encodeURIComponent(id); }
function developerHref(namespace) { return '#/developer/' + encodeURIComponent(namespace); }

// -- state in the address -------------------------------------------------------------------------------

function state() { return new URLSearchParams(location.search); }

function setState(params) {
  const query = params.toString();
  history.replaceState(null, '', (query ? '?' + query : location.pathname) + location.hash);
}

function query(names, extra = {}) {
  const current = state();
  const out = new URLSearchParams();
  for (const name of names) for (const value of current.getAll(name)) if (value !== '') out.append(name, value);
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined || value === null || value === '') continue;
    out.delete(name);
    out.append(name, value);
  }
  return out;
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view, ...rest] = hash.split('/');
  const argument = rest.length ? decodeURIComponent(rest.join('/')) : '';
  if (!view && state().get('model')) return { view: 'model', argument: state().get('model') };
  if (!view && state().get('developer')) return { view: 'developer', argument: state().get('developer') };
  return { view: VIEWS[view] ? view : 'headline', argument };
}

// -- API ---------------------------------------------------------------------------------------------------

async function api(path, params) {
  const response = await fetch('/api/' + path + (params && params.toString() ? '?' + params.toString() : ''));
  const body = await response.json().catch(() => ({ detail: 'the server answered ' + response.status }));
  if (!response.ok) throw new Error(errorText(body));
  return body;
}

function errorText(body) {
  if (Array.isArray(body.detail)) return body.detail.map((item) => (item.loc || []).join('.') + ': ' + item.msg).join('; ');
  return String(body.detail ?? 'request failed');
}

function dataLine(data) {
  if (!data || !data.source) return '';
  const parts = ['Data: ' + data.source];
  if (data.scope) parts.push('scope ' + data.scope);
  if (data.as_of) parts.push('as of ' + data.as_of);
  if (data.measure) parts.push('measure: ' + data.measure);
  if (data.synthetic) parts.push('SYNTHETIC data');
  if (data.note) parts.push(data.note);
  return parts.join(' · ');
}

// -- formatting and tables -----------------------------------------------------------------------------------

function isShareColumn(column) { return /share|fraction|^top\d+$/.test(column) && !/^n_|count/.test(column); }

function formatValue(column, value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (isShareColumn(column)) return (value * 100).toFixed(1) + '%';
    if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
    return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  }
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function linkFor(column, value, envelope) {
  if (typeof value !== 'string' || !value || value.startsWith('_')) return null;
  const byModel = envelope && envelope.command === 'share' && envelope.params && envelope.params.by === 'model';
  if (MODEL_COLUMNS.has(column) || (column === 'key' && byModel)) return modelHref(value);
  if (column === 'namespace') return developerHref(value);
  return null;
}

function table(rows, { columns, envelope, limit = ROWS_SHOWN } = {}) {
  const names = columns || (rows.length ? Object.keys(rows[0]) : []);
  const head = el('tr', {}, ...names.map((name) => el('th', { scope: 'col', text: name })));
  const body = el('tbody');
  for (const row of rows.slice(0, limit)) {
    const cells = names.map((name) => {
      const value = row[name];
      const cell = el('td', { class: typeof value === 'number' ? 'num' : null, dataset: { column: name, value: value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value) } });
      const href = linkFor(name, value, envelope);
      cell.append(href ? el('a', { href, text: formatValue(name, value) }) : document.createTextNode(formatValue(name, value)));
      return cell;
    });
    body.append(el('tr', {}, ...cells));
  }
  const holder = el('div', { class: 'table-holder' }, el('table', {}, el('thead', {}, head), body));
  if (rows.length > limit) holder.append(el('p', { class: 'note', text: `${rows.length - limit} more rows: download the CSV for all of them.` }));
  return holder;
}

function keyValueTable(record) {
  const rows = Object.entries(record || {}).map(([field, value]) => ({ field, value: typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : value }));
  return table(rows, { columns: ['field', 'value'] });
}

function download(url, filename) {
  const link = el('a', { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
}

// -- a block: one endpoint's envelope as data line, chart, downloads and table ----------------------------------

async function block(parent, { title, endpoint, params, name, chart = true, columns, before }) {
  const section = el('section', { class: 'block', dataset: { endpoint, state: 'loading' } });
  const status = el('p', { class: 'status', text: 'Loading…' });
  section.append(el('h2', { text: title }), status);
  parent.append(section);
  let body;
  try {
    body = await api(endpoint, params);
  } catch (error) {
    status.className = 'error';
    status.textContent = error.message;
    section.dataset.state = 'error';
    return null;
  }
  status.remove();
  if (dataLine(body.data)) section.append(el('p', { class: 'data-line', text: dataLine(body.data) }));
  if (before) await before(section, body);
  const notes = [];
  if (body.n && Object.keys(body.n).length) notes.push('n: ' + Object.entries(body.n).map(([key, value]) => `${key} ${formatValue(key, value)}`).join(', '));
  if (body.filters_not_applied && body.filters_not_applied.length) notes.push('filters that do not apply here: ' + body.filters_not_applied.join(', '));
  if (body.post_filters && Object.keys(body.post_filters).length) notes.push('rows selected by: ' + Object.keys(body.post_filters).join(', '));
  if (body.warning) notes.push(body.warning);
  if (body.note) notes.push(body.note);
  for (const note of notes) section.append(el('p', { class: 'note', text: note }));
  const tools = el('div', { class: 'downloads' });
  const csvParams = new URLSearchParams(params);
  csvParams.set('format', 'csv');
  tools.append(el('a', { href: '/api/' + endpoint + '?' + csvParams.toString(), download: name + '.csv', class: 'csv', text: 'CSV' }));
  section.append(tools);
  if (chart) {
    const holder = el('div', { class: 'chart', dataset: { rendered: 'false' } });
    section.insertBefore(holder, tools);
    try {
      const spec = await api(endpoint + '/chart', params);
      const embedded = await vegaEmbed(holder, spec, { renderer: 'svg', actions: false });
      for (const format of ['png', 'svg']) {
        const button = el('button', { type: 'button', class: format, text: format.toUpperCase() });
        button.addEventListener('click', async () => download(await embedded.view.toImageURL(format, format === 'png' ? 2 : 1), `${name}.${format}`));
        tools.append(button);
      }
      holder.dataset.rendered = 'true';
    } catch (error) {
      holder.replaceChildren(el('p', { class: 'error', text: 'chart: ' + error.message }));
      holder.dataset.rendered = 'error';
    }
  }
  const rows = body.rows || [];
  section.append(table(rows, { columns, envelope: body }));
  section.dataset.state = 'ready';
  return body;
}

function localSelect(parent, name, label, choices, fallback) {
  const current = state().get(name) || fallback;
  const select = el('select', { name, id: 'local-' + name });
  for (const choice of choices) select.append(el('option', { value: choice, selected: choice === current, text: choice }));
  select.addEventListener('change', () => {
    const params = state();
    params.set(name, select.value);
    setState(params);
    render();
  });
  parent.append(el('label', {}, label + ' ', select));
  return current;
}

// -- views ---------------------------------------------------------------------------------------------------------

async function headlineView(main) {
  const headline = el('p', { class: 'headline', id: 'headline', text: '…' });
  main.append(headline);
  const params = query([...WINDOW.filter((name) => name !== 'period'), ...UNIVERSE], { by: 'country' });
  const body = await block(main, { title: 'Share of downloads by country', endpoint: 'share', params, name: 'share-by-country' });
  const top = body && body.rows.find((row) => !row.key.startsWith('_'));
  if (top) {
    headline.textContent = `Largest: ${top.label} — ${(top.share * 100).toFixed(1)}% of downloads (${body.params.attribution} attribution, ${body.params.cohort} cohort)`;
    headline.dataset.key = top.key;
    headline.dataset.share = String(top.share);
  } else {
    headline.textContent = body ? 'No downloads match these filters.' : '';
  }
  await block(main, { title: 'Top developers', endpoint: 'share', params: query([...WINDOW.filter((name) => name !== 'period'), ...UNIVERSE], { by: 'developer', top: 15 }), name: 'share-by-developer' });
}

async function timeView(main) {
  const controls = el('p', { class: 'controls' });
  main.append(controls);
  const by = localSelect(controls, 'by', 'Group by', options.by.filter((name) => name !== 'model'), 'country');
  const params = query([...WINDOW, ...UNIVERSE], { by, top: 8, period: state().get('period') || 'month' });
  await block(main, { title: `Share of downloads by ${by} per ${params.get('period')}`, endpoint: 'share', params, name: 'share-over-time' });
}

async function concentrationView(main) {
  const controls = el('p', { class: 'controls' });
  main.append(controls);
  const level = localSelect(controls, 'level', 'Level', options.level, 'developer');
  await block(main, { title: `Concentration at ${level} level`, endpoint: 'concentration', params: query([...WINDOW, ...UNIVERSE], { level }), name: 'concentration' });
}

function propertyView(command, metrics, fallback) {
  return async (main) => {
    const controls = el('p', { class: 'controls' });
    main.append(controls);
    const metric = localSelect(controls, command + '_metric', 'Metric', metrics, fallback);
    const weighting = localSelect(controls, 'weighting', 'Weighting', ['downloads', 'models'], 'downloads');
    main.append(el('p', { class: 'note', text: 'Periods are creation cohorts on one snapshot (year) or observation windows on a history (month); the global period filter does not apply.' }));
    const params = query(['since', 'until', 'snapshot', 'attribution', 'exclude']);
    const chartParams = new URLSearchParams(params);
    await block(main, {
      title: command === 'trends' ? 'Model properties over time' : 'Openness over time', endpoint: command, params, name: command, chart: false,
      before: async (section) => {
        chartParams.set('metric', metric);
        chartParams.set('weighting', weighting);
        const holder = el('div', { class: 'chart', dataset: { rendered: 'false' } });
        section.append(holder);
        try {
          const embedded = await vegaEmbed(holder, await api(command + '/chart', chartParams), { renderer: 'svg', actions: false });
          const tools = el('div', { class: 'downloads' });
          for (const format of ['png', 'svg']) {
            const button = el('button', { type: 'button', class: format, text: format.toUpperCase() });
            button.addEventListener('click', async () => download(await embedded.view.toImageURL(format, format === 'png' ? 2 : 1), `${command}-${metric}.${format}`));
            tools.append(button);
          }
          section.append(tools);
          holder.dataset.rendered = 'true';
        } catch (error) {
          holder.replaceChildren(el('p', { class: 'error', text: 'chart: ' + error.message }));
        }
      },
    });
  };
}

const TREND_METRICS = ['mean_size_weighted', 'mean_size', 'median_size', 'size_bucket', 'modality', 'multimodal_generation', 'quantized', 'quantization_format', 'quantized_by', 'fp_precision_original', 'moe', 'licence_family', 'architecture_family'];
const OPENNESS_METRICS = ['openness', 'data_own', 'data_full_stack', 'licence_family'];

async function cadenceView(main) {
  const controls = el('p', { class: 'controls' });
  main.append(controls);
  const by = localSelect(controls, 'cadence_by', 'By', ['country', 'type', 'developer'], 'country');
  await block(main, { title: `Release cadence by ${by}`, endpoint: 'cadence', params: query(['snapshot', 'country', 'developer_type'], { by }), name: 'cadence' });
}

async function intermediariesView(main) {
  await block(main, { title: 'Intermediaries (re-packagers) and fine-tuners', endpoint: 'intermediaries', params: query([...WINDOW, 'country', 'developer_type'], { top: 20 }), name: 'intermediaries' });
}

async function familiesView(main) {
  await block(main, { title: 'Model families (origin credit)', endpoint: 'families', params: query([...WINDOW, 'exclude', 'country', 'developer_type'], { top: 20 }), name: 'families' });
}

function searchForm(main, label, placeholder, value, target) {
  const input = el('input', { type: 'text', name: 'search', placeholder, value: value || '', size: 50, 'aria-label': label });
  const form = el('form', { class: 'search' }, el('label', {}, label + ' ', input), ' ', el('button', { type: 'submit', text: 'Open' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) location.hash = target(input.value.trim());
  });
  main.append(form);
}

function tree(root, edges, from, to, limit = 300) {
  // edges: [{child_id, parent_id, relation}]; from → to is the direction to follow (child → parent for ancestors).
  const next = new Map();
  for (const edge of edges) {
    if (!next.has(edge[from])) next.set(edge[from], []);
    next.get(edge[from]).push(edge);
  }
  let shown = 0;
  const seen = new Set([root]);
  function branch(node) {
    const list = el('ul', { class: 'tree' });
    for (const edge of next.get(node) || []) {
      if (shown >= limit) break;
      shown += 1;
      const id = edge[to];
      const item = el('li', {}, el('a', { href: modelHref(id), class: 'model-link', text: id }), el('span', { class: 'relation', text: edge.relation || '' }));
      if (!seen.has(id)) {
        seen.add(id);
        if (next.has(id)) item.append(branch(id));
      }
      list.append(item);
    }
    return list;
  }
  const result = branch(root);
  const total = new Set(edges.map((edge) => edge[to])).size;
  return { list: result, more: Math.max(0, total - shown) };
}

async function modelView(main, modelId) {
  searchForm(main, 'Model id', 'e.g. Qwen/Qwen2.5-7B-Instruct', modelId, modelHref);
  if (!modelId) {
    await block(main, { title: 'Most downloaded models', endpoint: 'share', params: query([...WINDOW.filter((name) => name !== 'period'), ...UNIVERSE], { by: 'model', top: 25 }), name: 'share-by-model' });
    return;
  }
  const section = el('section', { class: 'block', id: 'model', dataset: { state: 'loading' } });
  const title = el('h2', { id: 'model-title', text: modelId });
  section.append(title);
  main.append(section);
  let lineage;
  try {
    lineage = await api('lineage', new URLSearchParams({ model_id: modelId }));
  } catch (error) {
    section.append(el('p', { class: 'error', text: error.message }));
    section.dataset.state = 'error';
    return;
  }
  const record = lineage.record || {};
  const namespace = record.namespace || modelId.split('/')[0];
  section.append(el('p', {}, 'Uploaded by ', el('a', { href: developerHref(namespace), id: 'developer-link', text: namespace })));
  if (lineage.record) {
    section.append(el('h3', { text: 'Tags' }), el('p', { id: 'model-tags', text: (record.tags || []).join(', ') || '(none)' }));
    section.append(el('h3', { text: 'Card data' }), el('pre', { class: 'card', id: 'model-card', text: record.card_data || '(none)' }));
    const { tags, card_data: card, ...rest } = record;
    section.append(el('h3', { text: 'Stored record' }), keyValueTable(rest));
  }
  if (lineage.model) section.append(el('h3', { text: 'Properties' }), keyValueTable(lineage.model));
  const lineageSection = el('section', { class: 'block', id: 'lineage' }, el('h2', { text: 'Lineage' }));
  lineageSection.append(el('p', { class: 'note', text: `${lineage.n.ancestors} ancestors, ${lineage.n.descendants} descendants in the data` }));
  const ancestors = tree(modelId, lineage.ancestors || [], 'child_id', 'parent_id');
  const descendants = tree(modelId, lineage.descendants || [], 'parent_id', 'child_id');
  lineageSection.append(el('h3', { text: 'Ancestors (up to the roots)' }), ancestors.list.childElementCount ? ancestors.list : el('p', { class: 'note', text: 'none: a root model' }));
  lineageSection.append(el('h3', { text: 'Descendants' }), descendants.list.childElementCount ? descendants.list : el('p', { class: 'note', text: 'none in the data' }));
  if (descendants.more) lineageSection.append(el('p', { class: 'note', text: `${descendants.more} more descendants: download the JSON from /api/lineage` }));
  lineageSection.append(el('h3', { text: 'Origin credit' }), table(lineage.rows, { envelope: lineage }));
  const csvParams = new URLSearchParams({ model_id: modelId, format: 'csv' });
  lineageSection.append(el('div', { class: 'downloads' }, el('a', { href: '/api/lineage?' + csvParams.toString(), download: 'lineage.csv', class: 'csv', text: 'CSV' })));
  main.append(lineageSection);
  section.dataset.state = 'ready';
  await block(main, { title: 'Downloads per period', endpoint: 'history', params: query(['since', 'until'], { model_id: modelId, period: state().get('period') || 'month' }), name: 'history' });
  if (options.views.includes('adoption')) {
    await block(main, { title: 'Normalised adoption', endpoint: 'adoption', params: query(['snapshot'], { model_id: modelId }), name: 'adoption' });
  }
}

async function developerView(main, namespace) {
  searchForm(main, 'Namespace', 'e.g. Qwen', namespace, developerHref);
  if (!namespace) {
    await block(main, { title: 'Developers by downloads', endpoint: 'share', params: query([...WINDOW.filter((name) => name !== 'period'), ...UNIVERSE], { by: 'developer', top: 25 }), name: 'share-by-developer' });
    return;
  }
  main.append(el('h2', { id: 'developer-title', text: namespace }));
  await block(main, { title: 'Registry entry', endpoint: 'registry', params: new URLSearchParams({ namespace }), name: 'registry', chart: false });
  await block(main, {
    title: "The developer's models", endpoint: 'developer/models', name: 'developer-models',
    params: query([...WINDOW.filter((name) => name !== 'period'), 'cohort', 'exclude', 'modality', 'derivative_kind'], { namespace }),
  });
}

const VIEWS = {
  headline: { title: 'Headline', render: headlineView },
  time: { title: 'Shares over time', render: timeView },
  concentration: { title: 'Concentration', render: concentrationView },
  trends: { title: 'Trends', render: propertyView('trends', TREND_METRICS, 'mean_size_weighted'), needs: 'trends' },
  openness: { title: 'Openness', render: propertyView('openness', OPENNESS_METRICS, 'openness'), needs: 'openness' },
  cadence: { title: 'Cadence', render: cadenceView, needs: 'cadence' },
  intermediaries: { title: 'Intermediaries', render: intermediariesView, needs: 'intermediaries' },
  families: { title: 'Families', render: familiesView, needs: 'families' },
  model: { title: 'Model', render: (main, argument) => modelView(main, argument) },
  developer: { title: 'Developer', render: (main, argument) => developerView(main, argument) },
};

// -- filters form ----------------------------------------------------------------------------------------------------

function buildFilters() {
  const form = document.getElementById('filters');
  for (const filter of FILTERS) {
    const choices = options[filter.name] || [];
    if (filter.kind === 'date') {
      form.append(el('label', {}, filter.label, el('input', { type: 'date', name: filter.name, id: 'filter-' + filter.name })));
    } else if (filter.kind === 'select') {
      const select = el('select', { name: filter.name, id: 'filter-' + filter.name });
      if (filter.empty) select.append(el('option', { value: '', text: filter.empty }));
      for (const choice of choices) select.append(el('option', { value: choice, text: choice }));
      form.append(el('label', {}, filter.label, select));
    } else if (filter.kind === 'multi') {
      const select = el('select', { name: filter.name, id: 'filter-' + filter.name, multiple: true, size: 5 });
      for (const choice of choices) select.append(el('option', { value: choice, text: choice }));
      form.append(el('label', {}, filter.label + ' (none = all)', select));
    } else {
      const fieldset = el('fieldset', { id: 'filter-' + filter.name }, el('legend', { text: filter.label }));
      for (const choice of choices) fieldset.append(el('label', {}, el('input', { type: 'checkbox', name: filter.name, value: choice }), ' ' + choice));
      form.append(fieldset);
    }
  }
  const reset = el('button', { type: 'button', id: 'reset', text: 'Reset filters' });
  reset.addEventListener('click', () => {
    setState(new URLSearchParams());
    showState();
    render();
  });
  form.append(reset);
  form.addEventListener('change', () => {
    const params = state();
    for (const name of FILTER_NAMES) params.delete(name);
    for (const [name, value] of new FormData(form)) if (FILTER_NAMES.includes(name) && value !== '') params.append(name, value);
    setState(params);
    render();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
}

function showState() {
  const params = state();
  for (const field of document.getElementById('filters').elements) {
    if (!FILTER_NAMES.includes(field.name)) continue;
    const values = params.getAll(field.name);
    if (field.type === 'checkbox') field.checked = values.includes(field.value);
    else if (field.multiple) for (const option of field.options) option.selected = values.includes(option.value);
    else if (field.tagName === 'SELECT') field.value = values[0] || (field.querySelector('option[value=""]') ? '' : field.options[0].value);
    else field.value = values[0] || '';
  }
}

function buildNav() {
  const nav = document.getElementById('views');
  nav.replaceChildren();
  for (const [name, view] of Object.entries(VIEWS)) {
    if (view.needs && !options.views.includes(view.needs)) continue;
    nav.append(el('a', { href: '#/' + name, dataset: { view: name }, text: view.title }));
  }
}

async function render() {
  const mine = ++renderCount;
  const { view, argument } = route();
  document.body.dataset.ready = 'false';
  document.body.dataset.view = view;
  for (const link of document.querySelectorAll('#views a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const main = el('div', { class: 'view', dataset: { view } });
  document.getElementById('view').replaceChildren(main);
  try {
    await VIEWS[view].render(main, argument);
  } catch (error) {
    main.append(el('p', { class: 'error', text: String(error.message || error) }));
  }
  if (mine === renderCount) document.body.dataset.ready = 'true';
}

async function start() {
  options = await api('options');
  buildNav();
  buildFilters();
  showState();
  api('info').then((info) => {
    document.getElementById('data-line').textContent = dataLine(info.data) + ' · snapshots: ' + info.rows.map((row) => row.snapshot_id).join(', ');
  }).catch((error) => { document.getElementById('data-line').textContent = error.message; });
  window.addEventListener('hashchange', render);
  await render();
}

start().catch((error) => {
  console.error('hubecon dashboard: ' + error.message);
  document.getElementById('view').replaceChildren(el('p', { class: 'error', text: 'The dashboard could not start: ' + error.message }));
});
