#include "enclavectl/aws/dynamodb_client.hpp"

#include <algorithm>

namespace enclavectl::aws {
namespace {

AwsJsonClientOptions DynamoDbOptions(AwsJsonClientOptions options) {
  options.http.max_response_bytes =
      std::min(options.http.max_response_bytes, kMaxDynamoDbResponseBytes);
  options.content_type = std::string(kDynamoDbContentType);
  return options;
}

}  // namespace

core::Result<AwsEndpoint> ResolveDynamoDbEndpoint(std::string_view endpoint_url,
                                                  std::string_view region, const Environment& env) {
  return ResolveAwsEndpoint("dynamodb", endpoint_url, region, env);
}

DynamoDbClient::DynamoDbClient(AwsJsonClientOptions options, HttpTransport& transport,
                               const AwsCredentials& credentials, const core::io::Clock& clock,
                               Sleeper& sleeper)
    : client_(AwsJsonService{"dynamodb", std::string(kDynamoDbTargetPrefix), &DecodeDynamoDbError},
              DynamoDbOptions(std::move(options)), transport, credentials, clock, sleeper) {}

core::Status DynamoDbClient::CreateTable(const CreateTableRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateDynamoTableName(request.table));
  auto response = client_.Call("CreateTable", EncodeCreateTableRequest(request));
  if (!response) {
    return core::Fail(response.error());
  }
  return core::Ok();
}

core::Result<std::string> DynamoDbClient::DescribeTable(std::string_view table) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateDynamoTableName(table));
  auto response = client_.Call("DescribeTable", EncodeDescribeTableRequest(table));
  if (!response) {
    return core::Fail(response.error());
  }
  return DecodeDescribeTableResponse(response->body.View());
}

core::Status DynamoDbClient::PutItem(const PutItemRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateDynamoTableName(request.table));
  auto response = client_.Call("PutItem", EncodePutItemRequest(request));
  if (!response) {
    return core::Fail(response.error());
  }
  return core::Ok();
}

core::Result<std::optional<DynamoItem>> DynamoDbClient::GetItem(const GetItemRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateDynamoTableName(request.table));
  auto response = client_.Call("GetItem", EncodeGetItemRequest(request));
  if (!response) {
    return core::Fail(response.error());
  }
  return DecodeGetItemResponse(response->body.View());
}

core::Result<ItemPage> DynamoDbClient::ListItems(const ListItemsRequest& request) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateDynamoTableName(request.table));
  auto response =
      client_.Call(request.hash_key ? "Query" : "Scan", EncodeListItemsRequest(request));
  if (!response) {
    return core::Fail(response.error());
  }
  return DecodeItemPageResponse(response->body.View());
}

}  // namespace enclavectl::aws
