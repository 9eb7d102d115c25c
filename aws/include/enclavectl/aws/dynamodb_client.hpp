// The DynamoDB client (adapter): the operations of dynamodb_api.hpp over the shared AWS JSON
// client (aws_json_client.hpp: SigV4 service "dynamodb", AWS JSON 1.0, X-Amz-Target
// DynamoDB_20120810.*, retries on throttling and 5xx).
#pragma once

#include <optional>
#include <string_view>

#include "enclavectl/aws/aws_json_client.hpp"
#include "enclavectl/aws/dynamodb_api.hpp"

namespace enclavectl::aws {

// ResolveAwsEndpoint("dynamodb", ...): `endpoint_url`, else AWS_ENDPOINT_URL_DYNAMODB, else
// AWS_ENDPOINT_URL, else https://dynamodb.<region>.amazonaws.com. Fails with kInvalidArgument.
[[nodiscard]] core::Result<AwsEndpoint> ResolveDynamoDbEndpoint(std::string_view endpoint_url,
                                                                std::string_view region,
                                                                const Environment& env);

class DynamoDbClient {
 public:
  // Borrows `transport`, `credentials`, `clock` and `sleeper` for its lifetime. Answers are
  // capped at kMaxDynamoDbResponseBytes whatever options.http says; the Content-Type is JSON 1.0.
  DynamoDbClient(AwsJsonClientOptions options, HttpTransport& transport,
                 const AwsCredentials& credentials, const core::io::Clock& clock, Sleeper& sleeper);

  // Every call fails with kInvalidArgument (a bad table name), DecodeDynamoDbError's codes,
  // kDynamoDbResponseMalformed, kNetwork or kServiceUnavailable.
  [[nodiscard]] core::Status CreateTable(const CreateTableRequest& request);
  // The table's TableStatus ("ACTIVE" once usable).
  [[nodiscard]] core::Result<std::string> DescribeTable(std::string_view table);
  // With request.only_if_absent, an existing item fails with kDynamoDbConditionFailed.
  [[nodiscard]] core::Status PutItem(const PutItemRequest& request);
  // nullopt when there is no such item.
  [[nodiscard]] core::Result<std::optional<DynamoItem>> GetItem(const GetItemRequest& request);
  // One page of a Query (request.hash_key set) or a Scan.
  [[nodiscard]] core::Result<ItemPage> ListItems(const ListItemsRequest& request);

 private:
  AwsJsonClient client_;
};

}  // namespace enclavectl::aws
