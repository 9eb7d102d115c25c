// Amazon DynamoDB, the subset the wallet's account store needs (parse layer: pure, tested
// offline): CreateTable, DescribeTable, PutItem (with a ConditionExpression), GetItem, Query
// on the partition key and Scan, both paginated, and DynamoDB's error answers. The protocol is
// AWS JSON 1.0 (Content-Type application/x-amz-json-1.0, X-Amz-Target DynamoDB_20120810.*).
// Transport and signing: dynamodb_client.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"

namespace enclavectl::aws {

inline constexpr std::string_view kDynamoDbContentType = "application/x-amz-json-1.0";
inline constexpr std::string_view kDynamoDbTargetPrefix = "DynamoDB_20120810";
// The largest answer read: a Query or Scan page holds at most 1 MB of items, plus JSON.
inline constexpr std::size_t kMaxDynamoDbResponseBytes = std::size_t{4} << 20;
// Items and pages this client accepts in one answer.
inline constexpr std::size_t kMaxDynamoDbItemsPerPage = 10000;
inline constexpr std::size_t kMaxDynamoDbAttributes = 256;

// One attribute value: its type ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
// and, for S, N and B, its string (B: the base64 text as sent); for other types the compact
// JSON text of the value.
struct DynamoValue {
  std::string type;
  std::string value;
  friend bool operator==(const DynamoValue&, const DynamoValue&) = default;
};
using DynamoItem = std::map<std::string, DynamoValue, std::less<>>;

inline DynamoValue DynamoString(std::string value) { return {"S", std::move(value)}; }

// DynamoDB's errors: ConditionalCheckFailedException -> kDynamoDbConditionFailed (the wallet
// store reads it as "this account exists"), ResourceNotFoundException -> kDynamoDbTableNotFound,
// authentication and AccessDenied -> kDynamoDbAccessDenied, throttling, limits and 5xx ->
// kServiceUnavailable (retryable), anything else kDynamoDbError.
KmsError DecodeDynamoDbError(long http_status, core::ByteView body,
                             std::string_view error_type_header);

// A table name: 3..255 characters of a-zA-Z0-9_.-. Fails with kInvalidArgument.
[[nodiscard]] core::Status ValidateDynamoTableName(std::string_view name);

struct CreateTableRequest {
  std::string table;
  std::string hash_key;                  // type S
  std::optional<std::string> range_key;  // type S
};

struct PutItemRequest {
  std::string table;
  DynamoItem item;
  // When set: ConditionExpression "attribute_not_exists(#k)" with #k naming this attribute,
  // so the put fails (ConditionalCheckFailedException) when an item with the key exists.
  std::optional<std::string> only_if_absent;
};

struct GetItemRequest {
  std::string table;
  DynamoItem key;
  bool consistent_read = true;
};

// Query with KeyConditionExpression "#h = :h", or (without `hash_key`) Scan.
struct ListItemsRequest {
  std::string table;
  std::optional<std::pair<std::string, std::string>> hash_key;  // attribute, S value
  std::optional<std::uint32_t> limit;                           // 1..kMaxDynamoDbItemsPerPage
  std::optional<DynamoItem> exclusive_start_key;
  bool consistent_read = true;
};

struct ItemPage {
  std::vector<DynamoItem> items;
  std::optional<DynamoItem> last_evaluated_key;  // absent on the last page
};

// Request bodies (SecretBytes because the AWS client sends SecretBytes).
core::SecretBytes EncodeCreateTableRequest(const CreateTableRequest& request);
core::SecretBytes EncodeDescribeTableRequest(std::string_view table);
core::SecretBytes EncodePutItemRequest(const PutItemRequest& request);
core::SecretBytes EncodeGetItemRequest(const GetItemRequest& request);
core::SecretBytes EncodeListItemsRequest(const ListItemsRequest& request);

// Answers (untrusted, at most kMaxDynamoDbResponseBytes). Fail with
// kDynamoDbResponseMalformed or kInputTooLarge.
// DescribeTable: the TableStatus ("CREATING", "ACTIVE", ...).
[[nodiscard]] core::Result<std::string> DecodeDescribeTableResponse(core::ByteView body);
// GetItem: the item, or nullopt when there is none.
[[nodiscard]] core::Result<std::optional<DynamoItem>> DecodeGetItemResponse(core::ByteView body);
// Query and Scan.
[[nodiscard]] core::Result<ItemPage> DecodeItemPageResponse(core::ByteView body);

}  // namespace enclavectl::aws
