#include "tributary/record.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using tributary::Record;

TEST(record, BuildsFlatCanonicalFieldsAsValidJson) {
  Record r;
  r.reset("deals", "deal-1")
      .modifiedAt(int64_t{1700000000000})
      .text("name", "Big \"deal\"\n\\ \x01")
      .number("amount", "1500.5")
      .number("zero", std::string_view("0"))
      .integer("count", 3)
      .boolean("won", true)
      .date("close_date", "2024-03-05")
      .timestamp("started_at", int64_t{1700000000123})
      .text("owner_id", std::nullopt)
      .json("transcript", nlohmann::json::array({{{"speaker", "a"}}}));
  EXPECT_EQ(r.fieldsJson(), R"({"name":"Big \"deal\"\n\\ \u0001","amount":1500.5,"zero":0,"count":3,"won":true,)"
                            R"("close_date":"2024-03-05","started_at":"2023-11-14T22:13:20.123Z","owner_id":null,)"
                            R"("transcript":[{"speaker":"a"}]})");
  auto parsed = nlohmann::json::parse(r.fieldsJson());
  EXPECT_EQ(parsed["name"], "Big \"deal\"\n\\ \x01");
  EXPECT_EQ(parsed["amount"], 1500.5);

  tributary_record_v1 v = r.view();
  EXPECT_EQ(v.struct_size, sizeof(tributary_record_v1));
  EXPECT_EQ(std::string(v.stream.data, v.stream.size), "deals");
  EXPECT_EQ(std::string(v.source_id.data, v.source_id.size), "deal-1");
  EXPECT_EQ(v.modified_at_ms, 1700000000000);
  EXPECT_EQ(v.flags, 0u);
  EXPECT_EQ(v.raw_json.size, 0u);
}

TEST(record, ResetClearsEverythingButKeepsCapacity) {
  Record r;
  r.reset("s", "1").text("a", "x").raw(R"({"id":"1"})").deleted();
  const void* fieldsBuffer = r.fieldsJson().data();
  r.reset("s", "2");
  EXPECT_EQ(r.fieldsJson(), "");
  EXPECT_EQ(r.rawJson(), "");
  EXPECT_EQ(r.flags(), 0u);
  EXPECT_EQ(r.modifiedAtMs(), TRIBUTARY_TIME_NONE);
  r.text("a", "y");
  EXPECT_EQ(r.fieldsJson().data(), fieldsBuffer);
  EXPECT_EQ(r.fieldsJson(), R"({"a":"y"})");
}

TEST(record, DeletedFlagAndRawFromJson) {
  Record r;
  r.reset("contacts", "c-1").deleted().raw(nlohmann::json{{"id", "c-1"}, {"archived", true}});
  EXPECT_EQ(r.flags(), TRIBUTARY_RECORD_DELETED);
  EXPECT_EQ(r.rawJson(), R"({"archived":true,"id":"c-1"})");
  EXPECT_EQ(r.fieldsJson(), "");  // no entity fields: the engine reads "" as none
  r.deleted(false);
  EXPECT_EQ(r.flags(), 0u);
}

TEST(record, NumberRefusesTextThatIsNotACanonicalDecimal) {
  Record r;
  r.reset("deals", "1");
  EXPECT_THROW(r.number("amount", "TBD"), tributary::InvalidValue);
  EXPECT_THROW(r.number("amount", "1e3"), tributary::InvalidValue);
  EXPECT_THROW(r.number("amount", "1."), tributary::InvalidValue);
  EXPECT_THROW(r.number("amount", ""), tributary::InvalidValue);
  EXPECT_EQ(r.fieldsJson(), "");
  r.number("amount", "-12.5").number("none", std::nullopt);
  EXPECT_EQ(r.fieldsJson(), R"({"amount":-12.5,"none":null})");
}

TEST(record, EscapesKeysAndKeepsUtf8) {
  Record r;
  r.reset("s", "1").text("na\"me", "Zoë 日本");
  EXPECT_EQ(r.fieldsJson(), "{\"na\\\"me\":\"Zoë 日本\"}");
  EXPECT_EQ(nlohmann::json::parse(r.fieldsJson())["na\"me"], "Zoë 日本");
}
