// Fields DescribeAcls (29), CreateAcls (30) and DeleteAcls (31) share: a filter of bindings (the
// DescribeAcls request, each DeleteAcls filter) and the who/what of one binding.
//
//   filter => resource_type_filter resource_name_filter pattern_type_filter(v1+) principal_filter
//       host_filter operation permission_type
//   access => principal host operation permission_type
//
// v0 has no pattern type: it means LITERAL (3), the default.

import { field, int8, string } from '../schema.ts';

export const aclFilterFields = [
  field('resourceTypeFilter', int8, { versions: '0+' }),
  field('resourceNameFilter', string, { versions: '0+', nullableVersions: '0+' }),
  field('patternTypeFilter', int8, { versions: '1+', default: 3 }),
  field('principalFilter', string, { versions: '0+', nullableVersions: '0+' }),
  field('hostFilter', string, { versions: '0+', nullableVersions: '0+' }),
  field('operation', int8, { versions: '0+' }),
  field('permissionType', int8, { versions: '0+' }),
] as const;

export const aclAccessFields = [
  field('principal', string, { versions: '0+' }),
  field('host', string, { versions: '0+' }),
  field('operation', int8, { versions: '0+' }),
  field('permissionType', int8, { versions: '0+' }),
] as const;
