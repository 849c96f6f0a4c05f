#include "SoqlParser.h"

#include <strings.h>

#include <cctype>
#include <vector>

#include "../framework/TimeFormat.h"
#include "SoqlError.h"

namespace tributary::sim {
namespace {

struct Token {
  enum class Kind { Word, Number, String, Date, DateTime, Symbol, End };
  Kind kind;
  std::string text;
  size_t column;
};

[[noreturn]] void malformed(const std::string& query, size_t column, const std::string& detail) {
  throw SoqlError("MALFORMED_QUERY", SoqlError::located(query, column, detail));
}

std::vector<Token> lex(const std::string& q) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto isDigit = [&](size_t at) { return at < q.size() && std::isdigit(static_cast<unsigned char>(q[at])); };
  while (i < q.size()) {
    const char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const size_t column = i + 1;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < q.size() &&
             (std::isalnum(static_cast<unsigned char>(q[j])) || q[j] == '_' || q[j] == '.' || q[j] == ':'))
        ++j;
      tokens.push_back({Token::Kind::Word, q.substr(i, j - i), column});
      i = j;
      continue;
    }
    if (c == '\'') {
      std::string text;
      size_t j = i + 1;
      bool closed = false;
      while (j < q.size()) {
        if (q[j] == '\\' && j + 1 < q.size()) {
          const char e = q[j + 1];
          text += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          j += 2;
          continue;
        }
        if (q[j] == '\'') {
          closed = true;
          ++j;
          break;
        }
        text += q[j++];
      }
      if (!closed) malformed(q, column, "unterminated string literal");
      tokens.push_back({Token::Kind::String, text, column});
      i = j;
      continue;
    }
    const bool dateShape =
        isDigit(i) && isDigit(i + 1) && isDigit(i + 2) && isDigit(i + 3) && i + 4 < q.size() && q[i + 4] == '-';
    if (dateShape) {
      size_t j = i;
      while (j < q.size() && !std::isspace(static_cast<unsigned char>(q[j])) && q[j] != ')' && q[j] != ',') ++j;
      const std::string text = q.substr(i, j - i);
      const bool hasTime = text.size() > 10;
      tokens.push_back({hasTime ? Token::Kind::DateTime : Token::Kind::Date, text, column});
      i = j;
      continue;
    }
    if (isDigit(i) || ((c == '-' || c == '+') && (isDigit(i + 1) || (i + 1 < q.size() && q[i + 1] == '.'))) ||
        (c == '.' && isDigit(i + 1))) {
      size_t j = i + 1;
      while (j < q.size() && (isDigit(j) || q[j] == '.')) ++j;
      tokens.push_back({Token::Kind::Number, q.substr(i, j - i), column});
      i = j;
      continue;
    }
    const std::string two = q.substr(i, 2);
    if (two == "!=" || two == "<>" || two == "<=" || two == ">=") {
      tokens.push_back({Token::Kind::Symbol, two == "<>" ? "!=" : two, column});
      i += 2;
      continue;
    }
    if (c == '=' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',') {
      tokens.push_back({Token::Kind::Symbol, std::string(1, c), column});
      ++i;
      continue;
    }
    malformed(q, column, std::string("unexpected token: '") + c + "'");
  }
  tokens.push_back({Token::Kind::End, "<EOF>", q.size() + 1});
  return tokens;
}

bool isKeyword(const std::string& word) {
  static const char* const kKeywords[] = {"SELECT", "FROM",  "WHERE",  "AND",  "OR",    "NOT",    "IN",   "LIKE",
                                          "ORDER",  "BY",    "ASC",    "DESC", "NULLS", "FIRST",  "LAST", "LIMIT",
                                          "OFFSET", "GROUP", "HAVING", "WITH", "FOR",   "TYPEOF", "USING"};
  for (const char* k : kKeywords)
    if (strcasecmp(k, word.c_str()) == 0) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(const std::string& query) : q_(query), tokens_(lex(query)) {}

  SoqlQuery run() {
    SoqlQuery query;
    query.text = q_;
    expectKeyword("SELECT");
    if (isWord("COUNT") && peek(1).text == "(") {
      pos_ += 2;
      if (peek().text != ")") unexpected();
      ++pos_;
      query.count = true;
    } else {
      do {
        const Token& field = fieldToken();
        query.fields.push_back(field.text);
        query.fieldColumns.push_back(field.column);
      } while (acceptSymbol(","));
    }
    expectKeyword("FROM");
    const Token& object = peek();
    if (object.kind != Token::Kind::Word || isKeyword(object.text)) unexpected();
    query.object = object.text;
    query.objectColumn = object.column;
    ++pos_;
    if (acceptKeyword("WHERE")) query.where = orExpression();
    if (acceptKeyword("ORDER")) {
      expectKeyword("BY");
      do {
        SoqlOrder order;
        const Token& field = fieldToken();
        order.field = field.text;
        order.column = field.column;
        if (acceptKeyword("DESC")) {
          order.descending = true;
        } else {
          acceptKeyword("ASC");
        }
        // Salesforce puts nulls first in ascending order and last in descending order.
        order.nullsFirst = !order.descending;
        if (acceptKeyword("NULLS")) {
          if (acceptKeyword("FIRST")) {
            order.nullsFirst = true;
          } else {
            expectKeyword("LAST");
            order.nullsFirst = false;
          }
        }
        query.orderBy.push_back(order);
      } while (acceptSymbol(","));
    }
    if (acceptKeyword("LIMIT")) {
      const Token& n = peek();
      if (n.kind != Token::Kind::Number || n.text.find_first_not_of("0123456789") != std::string::npos) {
        unexpected();
      }
      query.limit = std::stoull(n.text);
      ++pos_;
    }
    if (peek().kind != Token::Kind::End) unexpected();
    return query;
  }

 private:
  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  [[noreturn]] void unexpected() const {
    const Token& t = peek();
    malformed(q_, t.column,
              t.kind == Token::Kind::End ? "unexpected token: <EOF>" : "unexpected token: '" + t.text + "'");
  }
  bool isWord(const char* word) const {
    return peek().kind == Token::Kind::Word && strcasecmp(peek().text.c_str(), word) == 0;
  }
  bool acceptKeyword(const char* word) {
    if (!isWord(word)) return false;
    ++pos_;
    return true;
  }
  void expectKeyword(const char* word) {
    if (!acceptKeyword(word)) unexpected();
  }
  bool acceptSymbol(const char* symbol) {
    if (peek().kind != Token::Kind::Symbol || peek().text != symbol) return false;
    ++pos_;
    return true;
  }
  const Token& fieldToken() {
    const Token& t = peek();
    if (t.kind != Token::Kind::Word || isKeyword(t.text)) unexpected();
    if (t.text.find('.') != std::string::npos || t.text.find(':') != std::string::npos) {
      malformed(q_, t.column,
                "unexpected token: '" + t.text + "' (relationship fields are outside the simulator's SOQL subset)");
    }
    if (peek(1).text == "(") {
      malformed(q_, peek(1).column,
                "unexpected token: '(' (functions other than COUNT() are outside the "
                "simulator's SOQL subset)");
    }
    ++pos_;
    return t;
  }

  // SOQL has no precedence between AND and OR: mixing them needs parentheses.
  SoqlCondition orExpression() {
    SoqlCondition first = notExpression();
    if (!isWord("AND") && !isWord("OR")) return first;
    const bool isAnd = isWord("AND");
    SoqlCondition group;
    group.kind = isAnd ? SoqlCondition::Kind::And : SoqlCondition::Kind::Or;
    group.children.push_back(std::move(first));
    while (acceptKeyword(isAnd ? "AND" : "OR")) {
      group.children.push_back(notExpression());
    }
    if (isWord(isAnd ? "OR" : "AND")) unexpected();
    return group;
  }

  SoqlCondition notExpression() {
    if (acceptKeyword("NOT")) {
      SoqlCondition negation;
      negation.kind = SoqlCondition::Kind::Not;
      negation.children.push_back(notExpression());
      return negation;
    }
    if (acceptSymbol("(")) {
      SoqlCondition inner = orExpression();
      if (!acceptSymbol(")")) unexpected();
      return inner;
    }
    return comparison();
  }

  SoqlCondition comparison() {
    SoqlCondition condition;
    const Token& field = fieldToken();
    condition.field = field.text;
    condition.fieldColumn = field.column;
    const Token& op = peek();
    if (op.kind == Token::Kind::Symbol && op.text != "(" && op.text != ")" && op.text != ",") {
      condition.op = op.text;
      ++pos_;
      condition.values.push_back(literal());
      return condition;
    }
    if (acceptKeyword("LIKE")) {
      condition.kind = SoqlCondition::Kind::Like;
      condition.op = "LIKE";
      if (peek().kind != Token::Kind::String) unexpected();
      condition.values.push_back(literal());
      return condition;
    }
    const bool negated = acceptKeyword("NOT");
    if (acceptKeyword("IN")) {
      condition.kind = negated ? SoqlCondition::Kind::NotIn : SoqlCondition::Kind::In;
      condition.op = negated ? "NOT IN" : "IN";
      if (!acceptSymbol("(")) unexpected();
      do {
        condition.values.push_back(literal());
      } while (acceptSymbol(","));
      if (!acceptSymbol(")")) unexpected();
      return condition;
    }
    unexpected();
  }

  SoqlLiteral literal() {
    const Token& t = peek();
    SoqlLiteral value;
    value.column = t.column;
    value.text = t.text;
    switch (t.kind) {
      case Token::Kind::String: value.kind = SoqlLiteral::Kind::String; break;
      case Token::Kind::Number:
        value.kind = SoqlLiteral::Kind::Number;
        try {
          size_t used = 0;
          value.number = std::stod(t.text, &used);
          if (used != t.text.size()) unexpected();
        } catch (const std::invalid_argument&) {
          unexpected();
        }
        break;
      case Token::Kind::Date: {
        if (!TimeFormat::isPlainDate(t.text)) unexpected();
        value.kind = SoqlLiteral::Kind::Date;
        value.epochMs = *TimeFormat::parseIso(t.text);
        break;
      }
      case Token::Kind::DateTime: {
        // A datetime literal needs its zone: Z or +hh:mm / -hh:mm.
        const auto ms = TimeFormat::parseIso(t.text);
        const char last = t.text.back();
        const bool zoned = last == 'Z' || last == 'z' || t.text.find('+', 10) != std::string::npos ||
                           t.text.find('-', 10) != std::string::npos;
        if (!ms || !zoned) unexpected();
        value.kind = SoqlLiteral::Kind::DateTime;
        value.epochMs = *ms;
        break;
      }
      case Token::Kind::Word:
        if (strcasecmp(t.text.c_str(), "true") == 0 || strcasecmp(t.text.c_str(), "false") == 0) {
          value.kind = SoqlLiteral::Kind::Boolean;
          value.boolean = strcasecmp(t.text.c_str(), "true") == 0;
        } else if (strcasecmp(t.text.c_str(), "null") == 0) {
          value.kind = SoqlLiteral::Kind::Null;
        } else {
          // TODAY, LAST_N_DAYS:7, bind variables...: outside the subset.
          unexpected();
        }
        break;
      default: unexpected();
    }
    ++pos_;
    return value;
  }

  const std::string& q_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

SoqlQuery SoqlParser::parse(const std::string& soql) { return Parser(soql).run(); }

}  // namespace tributary::sim
