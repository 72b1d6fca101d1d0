// Entry point of the offline GraphiQL playground bundle.
//
// The Go handler (../../playground.go) renders a page holding a
// <script id="playground-config" type="application/json"> element; this script
// reads it and mounts GraphiQL over the whole page. Nothing here loads code or
// data from anywhere but the page's own origin.
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher, createLocalStorage } from '@graphiql/toolkit';
import { createRoot } from 'react-dom/client';

// The same stylesheets as GraphiQL's own CDN bundle (graphiql/src/cdn.ts);
// the fonts are inlined as data: URLs.
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/dist/style.css';
import 'graphiql/src/style.css';
import './page.css';

function readConfig() {
  const el = document.getElementById('playground-config');
  if (!el) {
    return {};
  }
  try {
    const cfg = JSON.parse(el.textContent || '{}');
    return cfg && typeof cfg === 'object' ? cfg : {};
  } catch (err) {
    console.error('playground: invalid #playground-config JSON', err);
    return {};
  }
}

// GraphiQL 3 titles a tab with the operation name it finds in the query (the
// same rule as @graphiql/react's fuzzyExtractOperationName). A tab whose name
// differs from that gets the name as a leading comment, so it is still shown.
const operationNamePattern = /^(?!#).*(query|subscription|mutation)\s+([a-zA-Z0-9_]+)/m;

function toTabDefinition(tab) {
  const name = typeof tab.name === 'string' ? tab.name.replace(/\s+/g, ' ').trim() : '';
  let query = typeof tab.query === 'string' ? tab.query : '';
  const match = operationNamePattern.exec(query);
  if (name && (!match || match[2] !== name)) {
    query = `# ${name}\n${query}`;
  }
  const variables = typeof tab.variables === 'string' && tab.variables.trim() !== '' ? tab.variables : null;
  return { query, variables };
}

function mount() {
  const cfg = readConfig();
  const url = new URL(cfg.endpoint || '/graphql', window.location.href).toString();
  const tabs = Array.isArray(cfg.tabs) ? cfg.tabs.filter((t) => t && typeof t === 'object').map(toTabDefinition) : [];

  // Editor state (open tabs, history, settings) is kept in localStorage under
  // "directory-playground:graphiql:*". Headers are not persisted unless the
  // user turns that on in the settings dialog.
  const storage = createLocalStorage({ namespace: 'directory-playground' });
  let firstVisit = true;
  try {
    firstVisit = !storage.getItem('graphiql:tabState');
  } catch {
    // localStorage unavailable: GraphiQL falls back to the default tabs.
  }

  const root = document.getElementById('graphiql');
  root.textContent = '';
  createRoot(root).render(
    <GraphiQL
      fetcher={createGraphiQLFetcher({ url })}
      defaultTabs={tabs.length > 0 ? tabs : undefined}
      // GraphiQL 3 fills the variables editor of the first tab from this prop
      // (not from defaultTabs) when it starts without stored tabs.
      variables={firstVisit && tabs.length > 0 && tabs[0].variables ? tabs[0].variables : undefined}
      storage={storage}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
      defaultEditorToolsVisibility
    />,
  );
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', mount);
} else {
  mount();
}
