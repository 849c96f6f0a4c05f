#include <gtest/gtest.h>

#include "salesforce/SalesforceAccounts.h"
#include "salesforce/SalesforceOpportunities.h"
#include "salesforce/SoqlBinder.h"
#include "salesforce/SoqlError.h"
#include "salesforce/SoqlEvaluator.h"
#include "salesforce/SoqlParser.h"

using namespace tributary::sim;

namespace {

ObjectStore::Options store(const std::string& name) {
  ObjectStore::Options o;
  o.object = name;
  o.seed = 1;
  o.baseCount = 10;
  o.clockStartMs = 1717200000000;
  return o;
}

struct Objects {
  SalesforceOpportunities opportunities{store("Opportunity"), 0.0, 5};
  SalesforceAccounts accounts{store("Account"), 0.0};
  std::vector<const SalesforceObject*> all() { return {&opportunities, &accounts}; }
};

SoqlError errorOf(const std::string& soql) {
  Objects objects;
  try {
    SoqlQuery query = SoqlParser::parse(soql);
    SoqlBinder::bind(query, objects.all());
  } catch (const SoqlError& error) {
    return error;
  }
  ADD_FAILURE() << "no error for " << soql;
  return SoqlError("", "");
}

}  // namespace

TEST(soql, ParsesTheSubset) {
  Objects objects;
  SoqlQuery q = SoqlParser::parse(
      "select id, name, AMOUNT from opportunity where (SystemModstamp > 2024-05-01T00:00:00Z "
      "or Amount >= 10.5) and IsDeleted = false and StageName in ('Prospecting', 'Closed Won') "
      "order by SystemModstamp asc, Id desc nulls last limit 50");
  SoqlBinder::bind(q, objects.all());
  EXPECT_EQ(q.object, "Opportunity");
  EXPECT_EQ(q.fields, (std::vector<std::string>{"Id", "Name", "Amount"}));
  ASSERT_TRUE(q.where);
  EXPECT_EQ(q.where->kind, SoqlCondition::Kind::And);
  EXPECT_EQ(q.where->children.size(), 3u);
  EXPECT_EQ(q.orderBy.size(), 2u);
  EXPECT_TRUE(q.orderBy[1].descending);
  EXPECT_FALSE(q.orderBy[1].nullsFirst);
  EXPECT_EQ(q.limit, 50u);
  EXPECT_TRUE(SoqlParser::parse("SELECT COUNT() FROM Account").count);
}

TEST(soql, MalformedQueriesGetSalesforcesCaretMessage) {
  const auto error = errorOf("SELECT Id FORM Account");
  EXPECT_EQ(error.errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(std::string(error.what()),
            "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'");
  EXPECT_EQ(errorOf("SELECT Id FROM Account WHERE").errorCode(), "MALFORMED_QUERY");
  EXPECT_NE(std::string(errorOf("SELECT Id FROM Account WHERE").what()).find("<EOF>"), std::string::npos);
  // No precedence between AND and OR in SOQL.
  EXPECT_EQ(errorOf("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'").errorCode(),
            "MALFORMED_QUERY");
  EXPECT_EQ(errorOf("SELECT Id FROM Account LIMIT 5 OFFSET 5").errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(errorOf("SELECT Account.Name FROM Opportunity").errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(errorOf("SELECT Id FROM Account WHERE Name = 'open").errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(errorOf("SELECT Id FROM Opportunity WHERE CloseDate > TODAY").errorCode(), "MALFORMED_QUERY");
  EXPECT_EQ(errorOf("SELECT MAX(Amount) FROM Opportunity").errorCode(), "MALFORMED_QUERY");
}

TEST(soql, NamesAndLiteralTypesAreChecked) {
  const auto field = errorOf("SELECT Id, Foo FROM Account");
  EXPECT_EQ(field.errorCode(), "INVALID_FIELD");
  EXPECT_NE(std::string(field.what()).find("No such column 'Foo' on entity 'Account'"), std::string::npos);
  EXPECT_NE(std::string(field.what()).find("Column:12"), std::string::npos);
  EXPECT_EQ(errorOf("SELECT Id FROM Lead").errorCode(), "INVALID_TYPE");
  const auto quoted = errorOf("SELECT Id FROM Opportunity WHERE SystemModstamp > '2024-01-01T00:00:00Z'");
  EXPECT_EQ(quoted.errorCode(), "INVALID_FIELD");
  EXPECT_NE(std::string(quoted.what()).find("must be of type dateTime and should not be enclosed in quotes"),
            std::string::npos);
  EXPECT_EQ(errorOf("SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-01T00:00:00Z").errorCode(), "INVALID_FIELD");
  EXPECT_EQ(errorOf("SELECT Id FROM Opportunity WHERE Amount = '5'").errorCode(), "INVALID_FIELD");
  EXPECT_EQ(errorOf("SELECT Id FROM Opportunity WHERE Name = 5").errorCode(), "INVALID_FIELD");
  EXPECT_EQ(errorOf("SELECT Id, id FROM Account").errorCode(), "MALFORMED_QUERY");
}

TEST(soql, EvaluatesComparisonsNullsAndLike) {
  Objects objects;
  const nlohmann::json record = {{"Id", "006Dn000000000AAAA"}, {"Name", "Acme Renewal"},
                                 {"Amount", 1500.5},           {"StageName", nullptr},
                                 {"CloseDate", "2024-06-30"},  {"SystemModstamp", "2024-05-01T12:00:00.000+0000"},
                                 {"IsDeleted", false}};
  auto matches = [&](const std::string& where) {
    SoqlQuery q = SoqlParser::parse("SELECT Id FROM Opportunity WHERE " + where);
    SoqlBinder::bind(q, objects.all());
    return SoqlEvaluator::matches(*q.where, record, objects.opportunities);
  };
  EXPECT_TRUE(matches("SystemModstamp > 2024-05-01T11:59:59Z"));
  EXPECT_FALSE(matches("SystemModstamp > 2024-05-01T12:00:00.000+00:00"));
  EXPECT_TRUE(matches("SystemModstamp = 2024-05-01T14:00:00+02:00"));
  EXPECT_TRUE(matches("Amount > 1500 AND Amount < 1501"));
  EXPECT_TRUE(matches("CloseDate = 2024-06-30"));
  EXPECT_TRUE(matches("name = 'ACME RENEWAL'"));
  EXPECT_TRUE(matches("Name LIKE 'acme%'"));
  EXPECT_FALSE(matches("Name LIKE 'acme'"));
  EXPECT_TRUE(matches("StageName = null"));
  EXPECT_TRUE(matches("StageName != 'Prospecting'")) << "!= matches null fields in SOQL";
  EXPECT_FALSE(matches("StageName IN ('Prospecting')"));
  EXPECT_TRUE(matches("NOT StageName IN ('Prospecting')"));
  EXPECT_TRUE(matches("IsDeleted = false AND (Amount < 0 OR Name LIKE '%Renewal')"));
}
