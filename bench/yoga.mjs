// The peer: graphql-yoga serving the directory's regions and countries from memory, with the schema shape of
// the fields the comparison asks for. compare.mjs fetches the data from the directory server first and passes
// it in a file, so both serve the same countries, names and regions.
//
// Usage: node yoga.mjs DATA.json PORT
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createSchema, createYoga } from 'graphql-yoga';

const [dataFile, port] = process.argv.slice(2);
const data = JSON.parse(readFileSync(dataFile, 'utf8'));
const regions = new Map(data.regions.map((r) => [r.code, r]));
const countries = data.countries.map((c) => ({ code: c.code, name: c.name, region: c.region.code }));

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Query {
      regions: [Region!]!
      countries: [Country!]!
    }
    type Region {
      code: String!
      name: String!
    }
    type Country {
      code: String!
      name: String!
      region: Region!
    }
  `,
  resolvers: {
    Query: {
      regions: () => data.regions,
      countries: () => countries,
    },
    Country: {
      region: (c) => regions.get(c.region),
    },
  },
});

const yoga = createYoga({ schema, logging: false, graphiql: false, landingPage: false });
createServer(yoga).listen(Number(port), '127.0.0.1', () => console.log(`yoga listening on ${port}`));
