// DescribeUserScramCredentials (key 50) and AlterUserScramCredentials (key 51), KIP-554: what
// kafka-configs.sh --entity-type users and Admin.alterUserScramCredentials use to manage SASL/SCRAM
// users. The checks and error codes are in ../scram-admin.ts.
//
//   DescribeUserScramCredentialsRequest => [users]   (null: every user)
//   DescribeUserScramCredentialsResponse => throttle_time_ms error_code error_message
//     [results => user error_code error_message [credential_infos => mechanism iterations]]
//   AlterUserScramCredentialsRequest => [deletions => name mechanism]
//     [upsertions => name mechanism iterations salt salted_password]
//   AlterUserScramCredentialsResponse => throttle_time_ms [results => user error_code error_message]

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { alterUserScramCredentials, describeUserScramCredentials } from '../scram-admin.ts';
import {
  describeUserScramCredentials as describeApi,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
} from '../../protocol/apis/describe-user-scram-credentials.ts';
import {
  alterUserScramCredentials as alterApi,
  type AlterUserScramCredentialsRequest,
  type AlterUserScramCredentialsResponse,
} from '../../protocol/apis/alter-user-scram-credentials.ts';

export function describeUserScramCredentialsHandler(
  services: BrokerServices,
): ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> {
  return {
    api: describeApi,
    partitionsIn: (request) => request.users?.length ?? 0,
    handle(request) {
      const names = request.users === null ? null : request.users.map((u) => u.name);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: describeUserScramCredentials(services.controller.state, names),
      };
    },
  };
}

export function alterUserScramCredentialsHandler(services: BrokerServices): ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> {
  return {
    api: alterApi,
    // Each alteration costs a hash or two; the per-request limit bounds a request's work.
    partitionsIn: (request) => request.deletions.length + request.upsertions.length,
    async handle(request) {
      return { throttleTimeMs: 0, results: await alterUserScramCredentials(services, request) };
    },
  };
}
