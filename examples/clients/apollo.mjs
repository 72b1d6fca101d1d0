// Apollo Client 4 for the ICLEI Directory.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';

export async function createApolloClient(server) {
  // Without possibleTypes the cache cannot tell that an Office is a Node, and drops the fields of fragments on
  // the Node interface and on the Institution and SearchNode unions. The server publishes them next to its
  // schema (or commit possible-types.json from the repository with your client).
  const possibleTypes = await (await fetch(`${server}/possible-types.json`)).json();
  return new ApolloClient({
    link: new HttpLink({ uri: `${server}/graphql` }),
    cache: new InMemoryCache({
      possibleTypes,
      typePolicies: {
        // Every record is normalised by its global `id`, Apollo's default. Membership applications have no
        // id: the reference identifies them.
        ApplicationReceipt: { keyFields: ['reference'] },
        MembershipApplication: { keyFields: ['reference'] },
      },
    }),
  });
}
