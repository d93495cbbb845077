// NodeEndpoints (KIP-951), the same tagged array in Produce v10+ and Fetch v16+ responses: the
// address of every leader named in a partition's current_leader.
//
//   node_endpoints => node_id host port rack
//     node_id => INT32, host => COMPACT_STRING, port => INT32, rack => COMPACT_NULLABLE_STRING

import { array, field, int32, string, struct } from '../schema.ts';

/** The `NodeEndpoints` field of a response whose versions from `since` (e.g. '10+') carry it. */
export function nodeEndpointsField(since: string) {
  return field(
    'nodeEndpoints',
    array(
      struct([
        field('nodeId', int32, { versions: since }),
        field('host', string, { versions: since }),
        field('port', int32, { versions: since }),
        field('rack', string, { versions: since, nullableVersions: since, default: null }),
      ]),
    ),
    { versions: since, taggedVersions: since, tag: 0 },
  );
}
