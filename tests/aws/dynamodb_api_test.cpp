// DynamoDB's JSON 1.0 codecs (aws/dynamodb_api.hpp), offline: request bodies as DynamoDB's
// API reference spells them, strict answers, and the error mapping.
#include "enclavectl/aws/dynamodb_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using Json = nlohmann::json;

Json Parsed(const core::SecretBytes& body) { return Json::parse(core::AsChars(body.View())); }

core::ByteView Bytes(std::string_view text) { return core::AsBytes(text); }

TEST(DynamoDbApi, CreateTableBody) {
  const Json body = Parsed(EncodeCreateTableRequest({"AccountTable", "KeyId", "Name"}));
  EXPECT_EQ(body["TableName"], "AccountTable");
  EXPECT_EQ(body["KeySchema"][0], (Json{{"AttributeName", "KeyId"}, {"KeyType", "HASH"}}));
  EXPECT_EQ(body["KeySchema"][1], (Json{{"AttributeName", "Name"}, {"KeyType", "RANGE"}}));
  EXPECT_EQ(body["AttributeDefinitions"][1]["AttributeType"], "S");
  EXPECT_EQ(body["BillingMode"], "PAY_PER_REQUEST");
  const Json hash_only = Parsed(EncodeCreateTableRequest({"T12", "name", std::nullopt}));
  EXPECT_EQ(hash_only["KeySchema"].size(), 1U);
}

TEST(DynamoDbApi, PutItemIsConditional) {
  PutItemRequest request{"AccountTable",
                         {{"Name", DynamoString("n")}, {"Count", DynamoValue{"N", "5"}}},
                         std::string("Name")};
  const Json body = Parsed(EncodePutItemRequest(request));
  EXPECT_EQ(body["Item"]["Name"], (Json{{"S", "n"}}));
  EXPECT_EQ(body["Item"]["Count"], (Json{{"N", "5"}}));
  EXPECT_EQ(body["ConditionExpression"], "attribute_not_exists(#k)");
  EXPECT_EQ(body["ExpressionAttributeNames"]["#k"], "Name");
  request.only_if_absent.reset();
  EXPECT_FALSE(Parsed(EncodePutItemRequest(request)).contains("ConditionExpression"));
}

TEST(DynamoDbApi, QueryAndScanBodies) {
  ListItemsRequest request;
  request.table = "AccountTable";
  request.hash_key = std::make_pair(std::string("KeyId"), std::string("alias/k"));
  request.limit = 10;
  request.exclusive_start_key = DynamoItem{{"KeyId", DynamoString("alias/k")}};
  const Json query = Parsed(EncodeListItemsRequest(request));
  EXPECT_EQ(query["KeyConditionExpression"], "#h = :h");
  EXPECT_EQ(query["ExpressionAttributeNames"]["#h"], "KeyId");
  EXPECT_EQ(query["ExpressionAttributeValues"][":h"], (Json{{"S", "alias/k"}}));
  EXPECT_EQ(query["Limit"], 10);
  EXPECT_EQ(query["ExclusiveStartKey"]["KeyId"], (Json{{"S", "alias/k"}}));
  request.hash_key.reset();
  EXPECT_FALSE(Parsed(EncodeListItemsRequest(request)).contains("KeyConditionExpression"));
  const Json get = Parsed(EncodeGetItemRequest({"AccountTable", {{"Name", DynamoString("n")}}}));
  EXPECT_EQ(get["ConsistentRead"], true);
}

TEST(DynamoDbApi, DecodesItemsOfEveryType) {
  auto item = DecodeGetItemResponse(
      Bytes(R"({"Item":{"a":{"S":"x"},"b":{"N":"1"},"c":{"BOOL":true},"d":{"NULL":true},)"
            R"("e":{"M":{"f":{"S":"g"}}},"h":{"SS":["i"]},"j":{"B":"AAEC"}}})"));
  ASSERT_TRUE(item) << item.error().detail;
  ASSERT_TRUE(item->has_value());
  EXPECT_EQ((**item).at("a"), DynamoString("x"));
  EXPECT_EQ((**item).at("c"), (DynamoValue{"BOOL", "true"}));
  EXPECT_EQ((**item).at("e").type, "M");
  EXPECT_EQ((**item).at("j"), (DynamoValue{"B", "AAEC"}));
  auto absent = DecodeGetItemResponse(Bytes("{}"));
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
}

TEST(DynamoDbApi, PagesCarryTheirLastKey) {
  auto page =
      DecodeItemPageResponse(Bytes(R"({"Items":[{"Name":{"S":"a"}}],"Count":1,"ScannedCount":1,)"
                                   R"("LastEvaluatedKey":{"Name":{"S":"a"}}})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1U);
  ASSERT_TRUE(page->last_evaluated_key);
  EXPECT_EQ(page->last_evaluated_key->at("Name"), DynamoString("a"));
  auto last = DecodeItemPageResponse(Bytes(R"({"Items":[],"Count":0})"));
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->last_evaluated_key);
  EXPECT_EQ(*DecodeDescribeTableResponse(Bytes(R"({"Table":{"TableStatus":"ACTIVE"}})")), "ACTIVE");
}

TEST(DynamoDbApi, MalformedAnswersAreRefused) {
  for (const char* body :
       {"", "[]", "{\"Items\":{}}", "{\"Items\":[1]}", "{\"Items\":[{\"a\":{\"S\":1}}]}",
        "{\"Items\":[{\"a\":{\"S\":\"x\",\"N\":\"1\"}}]}", "{\"Items\":[{\"a\":{\"Q\":\"x\"}}]}",
        "{\"Items\":[{\"a\":{\"BOOL\":\"yes\"}}]}", "{\"Items\":[],\"LastEvaluatedKey\":{}}",
        "{\"Items\":[],\"LastEvaluatedKey\":{\"a\":{}}}"}) {
    auto page = DecodeItemPageResponse(Bytes(body));
    ASSERT_FALSE(page) << body;
    EXPECT_EQ(page.error().code, ErrorCode::kDynamoDbResponseMalformed) << body;
  }
  EXPECT_EQ(DecodeGetItemResponse(Bytes(R"({"Item":[]})")).error().code,
            ErrorCode::kDynamoDbResponseMalformed);
  EXPECT_EQ(DecodeDescribeTableResponse(Bytes(R"({"Table":{}})")).error().code,
            ErrorCode::kDynamoDbResponseMalformed);
  const std::string huge = "{\"Items\":[" + std::string(kMaxDynamoDbResponseBytes, ' ') + "]}";
  EXPECT_EQ(DecodeItemPageResponse(Bytes(huge)).error().code, ErrorCode::kInputTooLarge);
}

TEST(DynamoDbApi, ErrorsMapToCodes) {
  auto decode = [](long status, std::string_view body) {
    return DecodeDynamoDbError(status, Bytes(body), "");
  };
  const KmsError condition =
      decode(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                  R"("message":"The conditional request failed"})");
  EXPECT_EQ(condition.error.code, ErrorCode::kDynamoDbConditionFailed);
  EXPECT_FALSE(condition.retryable);
  EXPECT_EQ(decode(400, R"({"__type":"x#ResourceNotFoundException"})").error.code,
            ErrorCode::kDynamoDbTableNotFound);
  EXPECT_EQ(decode(400, R"({"__type":"x#UnrecognizedClientException"})").error.code,
            ErrorCode::kDynamoDbAccessDenied);
  EXPECT_EQ(decode(400, R"({"__type":"x#ValidationException"})").error.code,
            ErrorCode::kDynamoDbError);
  const KmsError throttled =
      decode(400, R"({"__type":"x#ProvisionedThroughputExceededException"})");
  EXPECT_EQ(throttled.error.code, ErrorCode::kServiceUnavailable);
  EXPECT_TRUE(throttled.retryable);
  EXPECT_TRUE(decode(500, "<html>").retryable);
}

TEST(DynamoDbApi, TableNames) {
  EXPECT_TRUE(ValidateDynamoTableName("AccountTable"));
  EXPECT_EQ(ValidateDynamoTableName("ab").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ValidateDynamoTableName("a b c").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace enclavectl::aws
