// Runs the client setups of docs/clients.md against a running server and fails on any wrong answer or any
// warning the clients print (Apollo's "data might be lost", graphcache's heuristic matching and missing keys).
// Usage: node check.mjs http://localhost:8080
import assert from 'node:assert/strict';
import { gql as apolloGql } from '@apollo/client';
import { gql as urqlGql } from '@urql/core';
import { createApolloClient } from './apollo.mjs';
import { createUrqlClient } from './urql.mjs';

const server = process.argv[2];
assert.ok(server, 'give the server URL, such as http://localhost:8080');

const warnings = [];
for (const level of ['warn', 'error']) {
  console[level] = (...args) => warnings.push(`console.${level}: ${args.join(' ')}`);
}

// Fragments on the Node interface and on the unions, which a cache needs the possible types for; every record
// selects its `id`, by which the caches normalise it.
const queries = {
  office: `query Office($key: String!) { office(key: $key) { ...NodeParts } }
    fragment NodeParts on Node { id ... on Office { name address { lines country { id code } } location { latitude longitude } } }`,
  node: `query Node($id: ID!) { node(id: $id) { ...NodeById } }
    fragment NodeById on Node { id ... on Office { name region { id code } } }`,
  search: `query Search { search(query: "seoul", first: 5) { nodes { type node { ...Found } } } }
    fragment Found on SearchNode { ... on Node { id } ... on City { key name } ... on Office { key name } ... on Region { code name } }`,
  organizers: `query Organizers { programs(first: 1) { nodes { id organizers { ...Organizer } } } }
    fragment Organizer on Institution { ... on Secretariat { id key } ... on Organization { id shortName } ... on City { id key } }`,
};

function checkAnswers(answers) {
  const office = answers.office.office;
  assert.equal(office.name, 'Korea Office');
  assert.equal(office.address.country.code, 'KR');
  assert.ok(office.address.lines.length > 0 && office.location.latitude > 30);
  assert.equal(answers.node.node.name, 'Korea Office');
  assert.equal(answers.node.node.region.code, 'east-asia');
  const found = answers.search.search.nodes;
  assert.ok(found.some((r) => r.type === 'CITY' && r.node.key === 'seoul'), JSON.stringify(found));
  const organizers = answers.organizers.programs.nodes[0].organizers;
  assert.ok(organizers.length > 0 && organizers.every((o) => o.key || o.shortName), JSON.stringify(organizers));
}

async function run(name, ask) {
  const answers = {};
  answers.office = await ask(queries.office, { key: 'korea-office' });
  answers.node = await ask(queries.node, { id: answers.office.office.id });
  answers.search = await ask(queries.search, {});
  answers.organizers = await ask(queries.organizers, {});
  checkAnswers(answers);
  // Asked again, the office comes from the normalised cache.
  const again = await ask(queries.office, { key: 'korea-office' });
  assert.deepEqual(again, answers.office);
  console.log(`ok ${name}`);
}

const apollo = await createApolloClient(server);
await run('Apollo Client', async (query, variables) => {
  const { data, error } = await apollo.query({ query: apolloGql(query), variables });
  assert.ifError(error);
  return data;
});

const urql = await createUrqlClient(server);
await run('urql', async (query, variables) => {
  const { data, error } = await urql.query(urqlGql(query), variables).toPromise();
  assert.ifError(error);
  return data;
});

assert.deepEqual(warnings, [], 'the clients warned');
