#include "enclavectl/aws/dynamodb_api.hpp"

#include <array>
#include <string>

#include "enclavectl/core/json.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

// DynamoDB's error names (botocore dynamodb service-2.json, and the common AWS JSON errors).
constexpr std::array<AwsErrorMapping, 20> kDynamoDbErrors = {{
    {"ConditionalCheckFailedException", ErrorCode::kDynamoDbConditionFailed, false},
    {"ResourceNotFoundException", ErrorCode::kDynamoDbTableNotFound, false},
    {"AccessDeniedException", ErrorCode::kDynamoDbAccessDenied, false},
    {"UnrecognizedClientException", ErrorCode::kDynamoDbAccessDenied, false},
    {"InvalidSignatureException", ErrorCode::kDynamoDbAccessDenied, false},
    {"IncompleteSignatureException", ErrorCode::kDynamoDbAccessDenied, false},
    {"MissingAuthenticationTokenException", ErrorCode::kDynamoDbAccessDenied, false},
    {"ExpiredTokenException", ErrorCode::kDynamoDbAccessDenied, false},
    {"ValidationException", ErrorCode::kDynamoDbError, false},
    {"ResourceInUseException", ErrorCode::kDynamoDbError, false},
    {"ItemCollectionSizeLimitExceededException", ErrorCode::kDynamoDbError, false},
    {"TransactionConflictException", ErrorCode::kDynamoDbError, false},
    {"LimitExceededException", ErrorCode::kServiceUnavailable, true},
    {"ProvisionedThroughputExceededException", ErrorCode::kServiceUnavailable, true},
    {"RequestLimitExceeded", ErrorCode::kServiceUnavailable, true},
    {"ThrottlingException", ErrorCode::kServiceUnavailable, true},
    {"InternalServerError", ErrorCode::kServiceUnavailable, true},
    {"ServiceUnavailable", ErrorCode::kServiceUnavailable, true},
    {"ServiceUnavailableException", ErrorCode::kServiceUnavailable, true},
    {"InternalFailure", ErrorCode::kServiceUnavailable, true},
}};

constexpr std::array<std::string_view, 10> kValueTypes = {"S", "N", "B",  "BOOL", "NULL",
                                                          "M", "L", "SS", "NS",   "BS"};

core::Result<Json> ParseAnswer(core::ByteView body, const char* operation) {
  auto json = core::ParseStrictJson(core::AsChars(body), kMaxDynamoDbResponseBytes,
                                    ErrorCode::kDynamoDbResponseMalformed, operation);
  if (!json) {
    return Fail(json.error());
  }
  if (!json->is_object()) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                std::string(operation) + " answer is not a JSON object");
  }
  return json;
}

Json EncodeValue(const DynamoValue& value) {
  Json inner;
  if (value.type == "S" || value.type == "N" || value.type == "B") {
    inner = value.value;
  } else if (value.type == "BOOL") {
    inner = value.value == "true";
  } else if (value.type == "NULL") {
    inner = true;
  } else {
    inner = Json::parse(value.value, nullptr, /*allow_exceptions=*/false);
  }
  return Json{{value.type, std::move(inner)}};
}

Json EncodeItem(const DynamoItem& item) {
  Json out = Json::object();
  for (const auto& [name, value] : item) {
    out[name] = EncodeValue(value);
  }
  return out;
}

// One attribute value (untrusted): an object with exactly one member of a known type.
core::Result<DynamoValue> DecodeValue(const Json& json) {
  if (!json.is_object() || json.size() != 1) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                "an attribute value is not an object with one type member");
  }
  const std::string& type = json.begin().key();
  const Json& inner = json.begin().value();
  bool known = false;
  for (const std::string_view t : kValueTypes) {
    known = known || t == type;
  }
  if (!known) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed, "an attribute value has an unknown type");
  }
  if (type == "S" || type == "N" || type == "B") {
    if (!inner.is_string()) {
      return Fail(ErrorCode::kDynamoDbResponseMalformed,
                  "an attribute value of type " + type + " is not a string");
    }
    return DynamoValue{type, inner.get<std::string>()};
  }
  if (type == "BOOL" || type == "NULL") {
    if (!inner.is_boolean()) {
      return Fail(ErrorCode::kDynamoDbResponseMalformed,
                  "an attribute value of type " + type + " is not a boolean");
    }
    return DynamoValue{type, inner.get<bool>() ? "true" : "false"};
  }
  return DynamoValue{type, core::DumpJson(inner)};
}

core::Result<DynamoItem> DecodeItem(const Json& json) {
  if (!json.is_object() || json.size() > kMaxDynamoDbAttributes) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                "an item is not an object of at most 256 attributes");
  }
  DynamoItem item;
  for (auto it = json.begin(); it != json.end(); ++it) {
    auto decoded = DecodeValue(it.value());
    if (!decoded) {
      return Fail(decoded.error());
    }
    item.emplace(it.key(), std::move(*decoded));
  }
  return item;
}

core::SecretBytes Body(const Json& json) {
  return core::SecretBytes(core::AsBytes(core::DumpJson(json)));
}

}  // namespace

KmsError DecodeDynamoDbError(long http_status, core::ByteView body,
                             std::string_view error_type_header) {
  return DecodeAwsJsonError(http_status, body, error_type_header, kDynamoDbErrors,
                            ErrorCode::kDynamoDbError, "DynamoDB");
}

core::Status ValidateDynamoTableName(std::string_view name) {
  if (name.size() < 3 || name.size() > 255) {
    return Fail(ErrorCode::kInvalidArgument, "a DynamoDB table name has 3 to 255 characters");
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return Fail(ErrorCode::kInvalidArgument,
                  "a DynamoDB table name has only letters, digits and _ . -");
    }
  }
  return core::Ok();
}

core::SecretBytes EncodeCreateTableRequest(const CreateTableRequest& request) {
  Json definitions = Json::array({{{"AttributeName", request.hash_key}, {"AttributeType", "S"}}});
  Json schema = Json::array({{{"AttributeName", request.hash_key}, {"KeyType", "HASH"}}});
  if (request.range_key) {
    definitions.push_back({{"AttributeName", *request.range_key}, {"AttributeType", "S"}});
    schema.push_back({{"AttributeName", *request.range_key}, {"KeyType", "RANGE"}});
  }
  return Body({{"TableName", request.table},
               {"AttributeDefinitions", std::move(definitions)},
               {"KeySchema", std::move(schema)},
               {"BillingMode", "PAY_PER_REQUEST"}});
}

core::SecretBytes EncodeDescribeTableRequest(std::string_view table) {
  return Body({{"TableName", table}});
}

core::SecretBytes EncodePutItemRequest(const PutItemRequest& request) {
  Json body = {{"TableName", request.table}, {"Item", EncodeItem(request.item)}};
  if (request.only_if_absent) {
    body["ConditionExpression"] = "attribute_not_exists(#k)";
    body["ExpressionAttributeNames"] = {{"#k", *request.only_if_absent}};
  }
  return Body(body);
}

core::SecretBytes EncodeGetItemRequest(const GetItemRequest& request) {
  return Body({{"TableName", request.table},
               {"Key", EncodeItem(request.key)},
               {"ConsistentRead", request.consistent_read}});
}

core::SecretBytes EncodeListItemsRequest(const ListItemsRequest& request) {
  Json body = {{"TableName", request.table}, {"ConsistentRead", request.consistent_read}};
  if (request.hash_key) {
    body["KeyConditionExpression"] = "#h = :h";
    body["ExpressionAttributeNames"] = {{"#h", request.hash_key->first}};
    body["ExpressionAttributeValues"] = {{":h", {{"S", request.hash_key->second}}}};
  }
  if (request.limit) {
    body["Limit"] = *request.limit;
  }
  if (request.exclusive_start_key) {
    body["ExclusiveStartKey"] = EncodeItem(*request.exclusive_start_key);
  }
  return Body(body);
}

core::Result<std::string> DecodeDescribeTableResponse(core::ByteView body) {
  auto json = ParseAnswer(body, "DescribeTable");
  if (!json) {
    return Fail(json.error());
  }
  const auto table = json->find("Table");
  if (table == json->end() || !table->is_object()) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed, "DescribeTable answer has no Table");
  }
  const auto status = table->find("TableStatus");
  if (status == table->end() || !status->is_string()) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                "DescribeTable answer: Table.TableStatus is not a string");
  }
  return status->get<std::string>();
}

core::Result<std::optional<DynamoItem>> DecodeGetItemResponse(core::ByteView body) {
  auto json = ParseAnswer(body, "GetItem");
  if (!json) {
    return Fail(json.error());
  }
  const auto item = json->find("Item");
  if (item == json->end()) {
    return std::optional<DynamoItem>();
  }
  auto decoded = DecodeItem(*item);
  if (!decoded) {
    return Fail(decoded.error());
  }
  return std::optional<DynamoItem>(std::move(*decoded));
}

core::Result<ItemPage> DecodeItemPageResponse(core::ByteView body) {
  auto json = ParseAnswer(body, "Query/Scan");
  if (!json) {
    return Fail(json.error());
  }
  const auto items = json->find("Items");
  if (items == json->end() || !items->is_array() || items->size() > kMaxDynamoDbItemsPerPage) {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                "Query/Scan answer has no Items array (of at most 10000 items)");
  }
  ItemPage page;
  for (const Json& item : *items) {
    auto decoded = DecodeItem(item);
    if (!decoded) {
      return Fail(decoded.error());
    }
    page.items.push_back(std::move(*decoded));
  }
  if (const auto last = json->find("LastEvaluatedKey"); last != json->end() && !last->is_null()) {
    auto key = DecodeItem(*last);
    if (!key) {
      return Fail(key.error());
    }
    if (key->empty()) {
      return Fail(ErrorCode::kDynamoDbResponseMalformed,
                  "Query/Scan answer has an empty LastEvaluatedKey");
    }
    page.last_evaluated_key = std::move(*key);
  }
  return page;
}

}  // namespace enclavectl::aws
