#include "FakeData.h"

#include <array>
#include <cctype>

namespace tributary::sim {
namespace {

constexpr std::array<const char*, 16> kFirst = {"Ana",  "Ben",   "Chloé", "David", "Eva",   "Farid", "Grace", "Hiro",
                                                "Inès", "Jonas", "Kwame", "Lena",  "Mateo", "Nora",  "Oskar", "Priya"};
constexpr std::array<const char*, 16> kLast = {"Smith",    "García", "Müller",  "Okafor", "Tanaka",   "Rossi",
                                               "Novak",    "Silva",  "O'Brien", "Nguyen", "Kowalski", "Dubois",
                                               "Andersen", "Haddad", "Ivanova", "Chen"};
constexpr std::array<const char*, 16> kCompanyWords = {
    "Northwind", "Contoso", "Globex",  "Initech", "Umbrella",  "Hooli",    "Vandelay",  "Stark",
    "Wayne",     "Acme",    "Soylent", "Tyrell",  "Cyberdyne", "Aperture", "Gringotts", "Wonka"};
constexpr std::array<const char*, 8> kCompanySuffix = {"Inc", "LLC", "GmbH", "Ltd", "S.A.", "Group", "Labs", "& Co"};
constexpr std::array<const char*, 10> kIndustries = {"COMPUTER_SOFTWARE",
                                                     "FINANCIAL_SERVICES",
                                                     "HOSPITAL_HEALTH_CARE",
                                                     "RETAIL",
                                                     "MANUFACTURING",
                                                     "EDUCATION_MANAGEMENT",
                                                     "TELECOMMUNICATIONS",
                                                     "INSURANCE",
                                                     "MARKETING_AND_ADVERTISING",
                                                     "LOGISTICS_AND_SUPPLY_CHAIN"};

}  // namespace

std::string FakeData::firstName(DeterministicRandom& random) { return random.pick(kFirst); }
std::string FakeData::lastName(DeterministicRandom& random) { return random.pick(kLast); }

std::string FakeData::companyName(DeterministicRandom& random, uint64_t index) {
  return std::string(random.pick(kCompanyWords)) + " " + std::to_string(index) + " " + random.pick(kCompanySuffix);
}

std::string FakeData::companySlug(const std::string& companyName) {
  std::string slug;
  for (char c : companyName) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (c == ' ' && !slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug + ".com";
}

std::string FakeData::industry(DeterministicRandom& random) { return random.pick(kIndustries); }

std::string FakeData::overlongText(DeterministicRandom& random, const std::string& seedText) {
  std::string out = seedText + " — ";
  // Count code points as we go; "é" and "—" are multi-byte.
  size_t chars = 0;
  for (unsigned char c : out)
    if ((c & 0xC0) != 0x80) ++chars;
  while (chars < 300) {
    if (random.chance(0.1)) {
      out += "é";
    } else {
      out += static_cast<char>('a' + random.between(0, 25));
    }
    ++chars;
  }
  return out;
}

std::string FakeData::word(DeterministicRandom& random, size_t length) {
  std::string out;
  for (size_t i = 0; i < length; ++i) out += static_cast<char>('a' + random.between(0, 25));
  return out;
}

}  // namespace tributary::sim
