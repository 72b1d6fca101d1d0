// Composes the directory, as a running server describes itself to a router (`_service { sdl }`), with a small
// partner subgraph that adds its own fields to cities and refers to offices, into a supergraph, with the
// Guild's federation composition (the validation rules and error messages of Apollo's composition). Fails on
// any composition error, and checks that a partner whose field contradicts the directory's is refused.
// Usage: node supergraph.mjs http://localhost:8080 [--print]   (--print writes the supergraph SDL to stdout)
import assert from 'node:assert/strict';
import { parse } from 'graphql';
import { composeServices, compositionHasErrors } from '@theguild/federation-composition';

const server = process.argv[2];
assert.ok(server, 'give the server URL, such as http://localhost:8080');
const print = process.argv.includes('--print');
const log = print ? console.error : console.log;

const response = await fetch(new URL('/graphql', server), {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query: '{ _service { sdl } }' }),
});
const { data, errors } = await response.json();
assert.equal(errors, undefined, JSON.stringify(errors));
const directory = { name: 'directory', url: new URL('/graphql', server).href, typeDefs: parse(data._service.sdl) };

// A partner's subgraph: its climate projects, each in a city it names by the directory's readable key, and
// run from an ICLEI office it names by ID. The router asks the directory for the rest of each city and office
// (_entities); the directory's cities gain the partner's `climateProjects`.
const partnerSDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type City @key(fields: "key") {
    key: String!
    "The partner's climate projects in the city."
    climateProjects: [ClimateProject!]!
  }

  type Office @key(fields: "id", resolvable: false) {
    id: ID!
  }

  type ClimateProject {
    name: String!
    city: City!
    office: Office
  }

  type Query {
    climateProjects: [ClimateProject!]!
  }
`;
const partner = (sdl) => ({ name: 'partner', url: 'http://partner.invalid/graphql', typeDefs: parse(sdl) });

const composed = composeServices([directory, partner(partnerSDL)]);
if (compositionHasErrors(composed)) {
  for (const e of composed.errors) console.error(`${e.extensions?.code ?? 'ERROR'}: ${e.message}`);
  assert.fail(`the supergraph does not compose: ${composed.errors.length} errors`);
}
const supergraph = composed.supergraphSdl;

// Every entity of the directory is resolvable by both of its keys, and the partner's field joins the city.
const keys = { Region: ['id', 'code'], Secretariat: ['id', 'key'], Office: ['id', 'key'], City: ['id', 'key'], Program: ['id', 'key'] };
for (const [type, fields] of Object.entries(keys)) {
  const definition = supergraph.match(new RegExp(`type ${type} implements Node\\s*([^{]*)\\{`));
  assert.ok(definition, `the supergraph has no type ${type}`);
  for (const field of fields) {
    assert.ok(definition[1].includes(`@join__type(graph: DIRECTORY, key: "${field}")`), `${type} is not keyed by ${field}: ${definition[1]}`);
  }
}
assert.match(supergraph, /climateProjects: \[ClimateProject!\]! @join__field\(graph: PARTNER\)/);
log(`ok the directory composes with a partner subgraph (${Object.keys(keys).join(', ')} keyed by id and their readable key)`);

// The same composition refuses a partner that contradicts the directory: a check that can fail.
const contradicting = composeServices([directory, partner(partnerSDL.replace('key: String!\n    "The partner', 'key: String!\n    name: Int!\n    "The partner'))]);
assert.ok(compositionHasErrors(contradicting), 'a partner whose City.name is an Int composed');
log(`ok composition refuses a contradicting partner: ${contradicting.errors.map((e) => e.extensions?.code).join(', ')}`);

if (print) console.log(supergraph);
