#include "engine/RecordEncoder.h"

#include <gtest/gtest.h>

#include "common/Json.h"

using namespace tributary::engine;

namespace {

std::string encode(const std::string& entity, const std::string& fields, std::optional<std::string>* err = nullptr) {
  RecordEncoder enc(findEntity(entity));
  std::string line;
  auto e = enc.encode(fields, line);
  if (err) *err = e;
  return e ? "ERROR: " + *e : line;
}

}  // namespace

TEST(RecordEncoder, WritesEveryColumnInOrderWithNullsForTheMissing) {
  EXPECT_EQ(encode("deals", R"({"name":"Acme","amount":1500.5,"close_date":"2024-06-30"})"),
            "\tAcme\t1500.5\t\\N\t2024-06-30\t\\N\t\\N\t\\N");
}

TEST(RecordEncoder, EmptyStringsAreNullForEveryType) {
  EXPECT_EQ(encode("deals", R"({"name":"","amount":"","close_date":""})"), "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N");
}

TEST(RecordEncoder, NumbersMayArriveAsStrings) {
  EXPECT_EQ(encode("deals", R"({"amount":"1500.50"})"), "\t\\N\t1500.50\t\\N\t\\N\t\\N\t\\N\t\\N");
}

TEST(RecordEncoder, EscapesTextForCopy) {
  EXPECT_EQ(encode("accounts", R"({"name":"a\tb\nc\\d","domain":"x.com"})"), "\ta\\tb\\nc\\\\d\tx.com\t\\N");
}

TEST(RecordEncoder, UnescapesJsonStringsIncludingUnicode) {
  EXPECT_EQ(encode("accounts", R"({"name":"caf\u00e9 \ud83d\ude00"})"), "\tcafé 😀\t\\N\t\\N");
}

TEST(RecordEncoder, TimestampsAcceptIsoTextAndEpochMilliseconds) {
  EXPECT_EQ(encode("calls", R"({"started_at":1700000000000,"duration_seconds":60})"),
            "\t\\N\t2023-11-14T22:13:20.000Z\t60\t\\N\t\\N\t\\N");
  EXPECT_EQ(encode("calls", R"({"started_at":"2024-05-01T15:00:00+02:00"})"),
            "\t\\N\t2024-05-01T13:00:00.000Z\t\\N\t\\N\t\\N\t\\N");
}

TEST(RecordEncoder, NestedJsonGoesToJsonColumnsAsIs) {
  EXPECT_EQ(encode("calls", R"({"transcript":[{"speaker":"Ann","text":"Hi"}]})"),
            "\t\\N\t\\N\t\\N\t\\N\t\\N\t[{\"speaker\":\"Ann\",\"text\":\"Hi\"}]");
}

TEST(RecordEncoder, RejectsValuesNotOfTheirTypeNamingTheField) {
  EXPECT_EQ(encode("deals", R"({"amount":"TBD"})"), "ERROR: amount: expected a number, got \"TBD\"");
  EXPECT_EQ(encode("deals", R"({"close_date":"2024-02-30"})"),
            "ERROR: close_date: expected a date YYYY-MM-DD, got \"2024-02-30\"");
  EXPECT_EQ(encode("calls", R"({"duration_seconds":1.5})"),
            "ERROR: duration_seconds: expected an integer, got \"1.5\"");
  EXPECT_EQ(encode("calls", R"({"duration_seconds":99999999999})"),
            "ERROR: duration_seconds: expected an integer, got \"99999999999\"");
  EXPECT_EQ(encode("calls", R"({"started_at":"yesterday"})"),
            "ERROR: started_at: expected an ISO 8601 time or epoch milliseconds, got \"yesterday\"");
  EXPECT_EQ(encode("deals", R"({"name":{"a":1}})"), "ERROR: name: expected text, got an object or array");
}

TEST(RecordEncoder, RejectsUnknownFieldsAndBrokenJson) {
  EXPECT_EQ(encode("deals", R"({"amout":1})"), "ERROR: field \"amout\" is not a column of deals");
  EXPECT_EQ(encode("deals", R"({"name":"x")"),
            "ERROR: fields are not a valid JSON object: expected ',' or '}' after \"name\"");
  EXPECT_EQ(encode("deals", R"([1,2])"), "ERROR: fields are not a valid JSON object: not a JSON object");
  EXPECT_EQ(
      encode("deals", R"({"name":"a\u0000b"})"),
      "ERROR: fields are not a valid JSON object: a string holds \\u0000, which PostgreSQL text cannot store in \"name\"");
}

TEST(FlatJson, ValidTextRejectsBadUtf8AndNul) {
  EXPECT_TRUE(validText("plain ascii and café"));
  EXPECT_FALSE(validText(std::string("a\0b", 3)));
  EXPECT_FALSE(validText("\xc3\x28"));
  EXPECT_FALSE(validText("\xed\xa0\x80"));  // a surrogate encoded in UTF-8
  EXPECT_FALSE(validText("\xf0\x9f\x98"));  // truncated
}

namespace {

// The value of one column of an encoded COPY line, with COPY's escapes undone; nullopt for NULL.
std::optional<std::string> copyColumn(const std::string& line, const std::string& entity, const std::string& column) {
  const int index = findEntity(entity)->columnIndex(column);
  std::vector<std::string> fields;
  size_t start = 1;  // the line starts with a tab
  for (size_t i = 1; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      fields.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  const std::string& raw = fields.at(static_cast<size_t>(index));
  if (raw == "\\N") return std::nullopt;
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 == raw.size()) {
      out.push_back(raw[i]);
      continue;
    }
    const char e = raw[++i];
    out.push_back(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
  }
  return out;
}

}  // namespace

TEST(RecordEncoder, AJsonStringWithAnyControlCharacterBecomesValidJsonText) {
  for (int c = 1; c < 0x20; ++c) {
    const std::string text = std::string("a") + static_cast<char>(c) + "b\r\t\x01\"\\";
    const std::string fields = tributary::Json{{"transcript", text}}.dump();
    std::optional<std::string> err;
    const std::string line = encode("calls", fields, &err);
    ASSERT_FALSE(err) << "control character " << c << ": " << *err;
    auto stored = copyColumn(line, "calls", "transcript");
    ASSERT_TRUE(stored);
    tributary::Json parsed;
    ASSERT_NO_THROW(parsed = tributary::Json::parse(*stored)) << "control character " << c << ": " << *stored;
    EXPECT_EQ(parsed.get<std::string>(), text) << "control character " << c;
  }
  const std::string del = tributary::Json{{"transcript", "x\x7fy"}}.dump();
  EXPECT_EQ(tributary::Json::parse(*copyColumn(encode("calls", del), "calls", "transcript")).get<std::string>(),
            "x\x7fy");
}

TEST(RecordEncoder, AJsonStringWithInvalidUtf8OrANulIsARecordErrorNamingTheField) {
  std::optional<std::string> err;
  encode("calls", "{\"transcript\":\"bad \xC3\x28 byte\"}", &err);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "transcript: not valid UTF-8 text");
  encode("calls", R"({"transcript":"nul \u0000 here"})", &err);
  ASSERT_TRUE(err);
  EXPECT_EQ(*err,
            "fields are not a valid JSON object: a string holds \\u0000, which PostgreSQL text cannot store in "
            "\"transcript\"");
}
