#include "scheduler/CronExpression.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <vector>

#include "common/Strings.h"

namespace tributary::scheduler {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;
// How far next() and previous() look. The longest gap between fire times of an expression that
// parse() accepts is eight years (February 29 across a skipped leap year, such as 2100).
constexpr int kSearchYears = 30;

enum class Names { None, Months, Weekdays };

struct FieldSpec {
  const char* name;
  int min;
  int max;      // the largest value written (7 for day-of-week: Sunday again)
  int starMax;  // the largest value `*` and open-ended steps reach
  Names names;
};

constexpr FieldSpec kSecond{"second", 0, 59, 59, Names::None};
constexpr FieldSpec kMinute{"minute", 0, 59, 59, Names::None};
constexpr FieldSpec kHour{"hour", 0, 23, 23, Names::None};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, 31, Names::None};
constexpr FieldSpec kMonth{"month", 1, 12, 12, Names::Months};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, 6, Names::Weekdays};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Macro {
  const char* name;
  const char* fields;
};
constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}}};

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[static_cast<size_t>(m - 1)];
}

int64_t daysFromCivil(int y, int m, int d) {
  return date::sys_days{date::year{y} / date::month{static_cast<unsigned>(m)} / date::day{static_cast<unsigned>(d)}}
      .time_since_epoch()
      .count();
}

// 0 = Sunday.
int weekdayOf(int y, int m, int d) {
  int64_t days = daysFromCivil(y, m, d);
  return static_cast<int>(days - 7 * floorDiv(days + 4, 7) + 4);
}

// The smallest set bit in [from, max], or -1.
int nextBit(uint64_t mask, int from, int max) {
  if (from > max) return -1;
  uint64_t m = mask & (~uint64_t{0} << from);
  if (max < 63) m &= (uint64_t{1} << (max + 1)) - 1;
  return m ? std::countr_zero(m) : -1;
}

// The largest set bit in [min, from], or -1.
int previousBit(uint64_t mask, int from, int min) {
  if (from < min) return -1;
  uint64_t m = mask;
  if (from < 63) m &= (uint64_t{1} << (from + 1)) - 1;
  m &= ~uint64_t{0} << min;
  return m ? 63 - std::countl_zero(m) : -1;
}

struct Token {
  std::string_view text;
  int offset = 0;  // 0-based, into the whole expression
};

std::vector<Token> splitOn(Token whole, char sep) {
  std::vector<Token> out;
  size_t start = 0;
  for (size_t i = 0; i <= whole.text.size(); ++i) {
    if (i == whole.text.size() || whole.text[i] == sep) {
      out.push_back({whole.text.substr(start, i - start), whole.offset + static_cast<int>(start)});
      start = i + 1;
    }
  }
  return out;
}

std::vector<Token> splitFields(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) break;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    out.push_back({text.substr(start, i - start), static_cast<int>(start)});
  }
  return out;
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class FieldParser {
 public:
  explicit FieldParser(CronError* error) : error_(error) {}

  // Sets the bits of `field` in `bits`; false after recording an error.
  bool parse(Token field, const FieldSpec& spec, uint64_t& bits) {
    for (const Token& item : splitOn(field, ',')) {
      if (item.text.empty()) {
        int at = item.offset > field.offset ? item.offset - 1 : item.offset;
        return fail(at, fmt::format("{} list \"{}\" has an empty item", spec.name, field.text));
      }
      if (!parseItem(item, spec, bits)) return false;
    }
    return true;
  }

  bool fail(int offset, std::string reason) {
    if (error_) {
      error_->position = offset + 1;
      error_->reason = std::move(reason);
    }
    return false;
  }

 private:
  bool parseItem(Token item, const FieldSpec& spec, uint64_t& bits) {
    auto parts = splitOn(item, '/');
    Token base = parts[0];
    int step = 1;
    bool hasStep = parts.size() > 1;
    if (hasStep) {
      Token stepTok{item.text.substr(base.text.size() + 1), base.offset + static_cast<int>(base.text.size()) + 1};
      const int span = spec.starMax - spec.min + 1;
      if (!allDigits(stepTok.text)) {
        return fail(stepTok.offset, fmt::format("{} step \"{}\" is not a number", spec.name, stepTok.text));
      }
      if (stepTok.text.size() > 3 || std::stoi(std::string(stepTok.text)) < 1 ||
          std::stoi(std::string(stepTok.text)) > span) {
        return fail(stepTok.offset, fmt::format("{} step {} is out of range 1-{}", spec.name, stepTok.text, span));
      }
      step = std::stoi(std::string(stepTok.text));
    }
    int lo = 0;
    int hi = 0;
    if (base.text == "*") {
      lo = spec.min;
      hi = spec.starMax;
    } else if (auto dash = base.text.find('-'); dash != std::string_view::npos) {
      Token a{base.text.substr(0, dash), base.offset};
      Token b{base.text.substr(dash + 1), base.offset + static_cast<int>(dash) + 1};
      if (a.text.empty() || b.text.empty()) {
        return fail(base.offset, fmt::format("{} range \"{}\" is missing its {}", spec.name, base.text,
                                             a.text.empty() ? "start" : "end"));
      }
      if (!value(a, spec, lo) || !value(b, spec, hi)) return false;
      if (lo > hi) {
        return fail(a.offset,
                    fmt::format("{} range {} runs backwards (its start is after its end)", spec.name, base.text));
      }
    } else {
      if (!value(base, spec, lo)) return false;
      hi = hasStep ? spec.starMax : lo;
      if (lo > hi) hi = lo;  // "7/2" in day-of-week: Sunday alone
    }
    for (int v = lo; v <= hi; v += step) {
      int bit = spec.names == Names::Weekdays ? v % 7 : v;
      bits |= uint64_t{1} << bit;
    }
    return true;
  }

  bool value(Token t, const FieldSpec& spec, int& out) {
    if (allDigits(t.text)) {
      if (t.text.size() > 4 || std::stoi(std::string(t.text)) < spec.min || std::stoi(std::string(t.text)) > spec.max) {
        return fail(t.offset, fmt::format("{} {} is out of range {}-{}", spec.name, t.text, spec.min, spec.max));
      }
      out = std::stoi(std::string(t.text));
      return true;
    }
    std::string upper;
    for (char c : t.text) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (spec.names == Names::Months) {
      for (size_t i = 0; i < kMonthNames.size(); ++i) {
        if (upper == kMonthNames[i]) {
          out = static_cast<int>(i) + 1;
          return true;
        }
      }
      return fail(t.offset, fmt::format("month \"{}\" is not a number or a month name (JAN-DEC)", t.text));
    }
    if (spec.names == Names::Weekdays) {
      for (size_t i = 0; i < kDayNames.size(); ++i) {
        if (upper == kDayNames[i]) {
          out = static_cast<int>(i);
          return true;
        }
      }
      return fail(t.offset, fmt::format("day-of-week \"{}\" is not a number or a day name (SUN-SAT)", t.text));
    }
    return fail(t.offset, fmt::format("{} \"{}\" is not a number", spec.name, t.text));
  }

  CronError* error_;
};

}  // namespace

std::string CronError::message() const {
  if (position == 0) return reason;
  return fmt::format("position {}: {}", position, reason);
}

const date::time_zone* CronExpression::findTimeZone(std::string_view name, std::string& error) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
  }
  std::vector<std::string> names;
  try {
    for (const auto& z : date::get_tzdb().zones) names.emplace_back(z.name());
  } catch (const std::exception& e) {
    error = fmt::format("cannot read the time zone database ({}); install the tzdata package", e.what());
    return nullptr;
  }
  if (names.empty()) {
    error = "the time zone database is empty; install the tzdata package";
    return nullptr;
  }
  error = fmt::format(
      "unknown time zone \"{}\"; use an IANA name such as Europe/Berlin or "
      "America/New_York (the names under /usr/share/zoneinfo)",
      name);
  auto suggestion = strings::closestMatch(name, names);
  if (!suggestion.empty()) error += fmt::format(" (did you mean \"{}\"?)", suggestion);
  return nullptr;
}

std::optional<CronExpression> CronExpression::parse(std::string_view expression, std::string_view timeZone,
                                                    CronError* error) {
  CronError scratch;
  CronError* err = error ? error : &scratch;
  FieldParser parser(err);
  CronExpression out;
  out.text_ = std::string(expression);
  out.zoneName_ = timeZone.empty() ? "UTC" : std::string(timeZone);

  if (out.zoneName_ != "UTC" && out.zoneName_ != "Etc/UTC") {
    std::string zoneError;
    out.zone_ = findTimeZone(out.zoneName_, zoneError);
    if (!out.zone_) {
      err->position = 0;
      err->reason = zoneError;
      return std::nullopt;
    }
  }

  std::vector<Token> fields = splitFields(expression);
  if (fields.empty()) {
    parser.fail(0,
                "the expression is empty; write five fields (minute hour day-of-month month "
                "day-of-week), six with a leading seconds field, or a macro such as @daily");
    return std::nullopt;
  }

  std::string expanded;  // a macro's fields; positions then point at the macro
  if (fields[0].text.front() == '@') {
    Token macro = fields[0];
    if (fields.size() > 1) {
      parser.fail(fields[1].offset, fmt::format("nothing may follow {}", macro.text));
      return std::nullopt;
    }
    std::string lower = strings::toLower(macro.text);
    if (lower == "@reboot") {
      parser.fail(macro.offset,
                  "@reboot is not supported: a connection syncs on a schedule or on "
                  "demand");
      return std::nullopt;
    }
    const Macro* found = nullptr;
    for (const auto& m : kMacros) {
      if (lower == m.name) found = &m;
    }
    if (!found) {
      parser.fail(macro.offset, fmt::format("unknown macro \"{}\"; use @yearly, @annually, "
                                            "@monthly, @weekly, @daily, @midnight or @hourly",
                                            macro.text));
      return std::nullopt;
    }
    expanded = found->fields;
    fields = splitFields(expanded);
    for (auto& f : fields) f.offset = macro.offset;
  }

  if (fields.size() != 5 && fields.size() != 6) {
    int at = fields.size() > 6 ? fields[6].offset : static_cast<int>(expression.size());
    parser.fail(at, fmt::format("expected 5 fields (minute hour day-of-month month day-of-week) "
                                "or 6 with a leading seconds field, got {}",
                                fields.size()));
    return std::nullopt;
  }

  size_t i = 0;
  out.hasSeconds_ = fields.size() == 6;
  if (out.hasSeconds_) {
    if (!parser.parse(fields[i++], kSecond, out.seconds_)) return std::nullopt;
  } else {
    out.seconds_ = 1;
  }
  uint64_t hours = 0;
  uint64_t dom = 0;
  uint64_t months = 0;
  uint64_t dow = 0;
  if (!parser.parse(fields[i++], kMinute, out.minutes_)) return std::nullopt;
  if (!parser.parse(fields[i++], kHour, hours)) return std::nullopt;
  const Token domField = fields[i];
  if (!parser.parse(fields[i++], kDayOfMonth, dom)) return std::nullopt;
  const Token monthField = fields[i];
  if (!parser.parse(fields[i++], kMonth, months)) return std::nullopt;
  const Token dowField = fields[i];
  if (!parser.parse(fields[i++], kDayOfWeek, dow)) return std::nullopt;
  out.hours_ = static_cast<uint32_t>(hours);
  out.daysOfMonth_ = static_cast<uint32_t>(dom);
  out.months_ = static_cast<uint32_t>(months);
  out.daysOfWeek_ = static_cast<uint32_t>(dow);
  out.domRestricted_ = domField.text != "*";
  out.dowRestricted_ = dowField.text != "*";

  // A day-of-month that none of the months has (February 30) would never fire.
  if (out.domRestricted_ && !out.dowRestricted_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!(out.months_ & (1u << m))) continue;
      int longest = m == 2 ? 29 : daysInMonth(2001, m);
      possible = nextBit(out.daysOfMonth_, 1, longest) >= 0;
    }
    if (!possible) {
      parser.fail(domField.offset, fmt::format("day-of-month {} never occurs in month {}, so the schedule would "
                                               "never fire",
                                               domField.text, monthField.text));
      return std::nullopt;
    }
  }
  return out;
}

bool CronExpression::dayMatches(int year, int month, int day) const {
  bool dom = daysOfMonth_ & (1u << day);
  if (!domRestricted_ && !dowRestricted_) return true;
  bool dow = daysOfWeek_ & (1u << weekdayOf(year, month, day));
  if (!dowRestricted_) return dom;
  if (!domRestricted_) return dow;
  return dom || dow;
}

std::optional<int64_t> CronExpression::nextLocal(int64_t from) const {
  int64_t dayNumber = floorDiv(from, kSecondsPerDay);
  int64_t sod = from - dayNumber * kSecondsPerDay;
  date::year_month_day ymd{date::sys_days{date::days{dayNumber}}};
  int y = static_cast<int>(ymd.year());
  int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  int h = static_cast<int>(sod / 3600);
  int mi = static_cast<int>(sod / 60 % 60);
  int s = static_cast<int>(sod % 60);
  const int lastYear = y + kSearchYears;

  while (y <= lastYear) {
    int nm = nextBit(months_, m, 12);
    if (nm < 0) {
      ++y;
      m = 1;
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (nm != m) {
      m = nm;
      d = 1;
      h = mi = s = 0;
    }
    const int dim = daysInMonth(y, m);
    while (d <= dim && !dayMatches(y, m, d)) {
      ++d;
      h = mi = s = 0;
    }
    if (d > dim) {
      if (++m > 12) {
        m = 1;
        ++y;
      }
      d = 1;
      h = mi = s = 0;
      continue;
    }
    int nh = nextBit(hours_, h, 23);
    if (nh < 0) {
      ++d;
      h = mi = s = 0;
      continue;
    }
    if (nh != h) {
      h = nh;
      mi = s = 0;
    }
    int nmi = nextBit(minutes_, mi, 59);
    if (nmi < 0) {
      mi = s = 0;
      if (++h > 23) {
        h = 0;
        ++d;
      }
      continue;
    }
    if (nmi != mi) {
      mi = nmi;
      s = 0;
    }
    int ns = nextBit(seconds_, s, 59);
    if (ns < 0) {
      s = 0;
      if (++mi > 59) {
        mi = 0;
        if (++h > 23) {
          h = 0;
          ++d;
        }
      }
      continue;
    }
    return daysFromCivil(y, m, d) * kSecondsPerDay + h * 3600 + mi * 60 + ns;
  }
  return std::nullopt;
}

std::optional<int64_t> CronExpression::previousLocal(int64_t from) const {
  int64_t dayNumber = floorDiv(from, kSecondsPerDay);
  int64_t sod = from - dayNumber * kSecondsPerDay;
  date::year_month_day ymd{date::sys_days{date::days{dayNumber}}};
  int y = static_cast<int>(ymd.year());
  int m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  int h = static_cast<int>(sod / 3600);
  int mi = static_cast<int>(sod / 60 % 60);
  int s = static_cast<int>(sod % 60);
  const int firstYear = y - kSearchYears;

  while (y >= firstYear) {
    int pm = previousBit(months_, m, 1);
    if (pm < 0) {
      --y;
      m = 12;
      d = 31;
      h = 23;
      mi = s = 59;
      continue;
    }
    if (pm != m) {
      m = pm;
      d = 31;
      h = 23;
      mi = s = 59;
    }
    d = std::min(d, daysInMonth(y, m));
    while (d >= 1 && !dayMatches(y, m, d)) {
      --d;
      h = 23;
      mi = s = 59;
    }
    if (d < 1) {
      if (--m < 1) {
        m = 12;
        --y;
      }
      d = 31;
      h = 23;
      mi = s = 59;
      continue;
    }
    int ph = previousBit(hours_, h, 0);
    if (ph < 0) {
      --d;
      h = 23;
      mi = s = 59;
      continue;
    }
    if (ph != h) {
      h = ph;
      mi = s = 59;
    }
    int pmi = previousBit(minutes_, mi, 0);
    if (pmi < 0) {
      mi = s = 59;
      if (--h < 0) {
        h = 23;
        --d;
      }
      continue;
    }
    if (pmi != mi) {
      mi = pmi;
      s = 59;
    }
    int ps = previousBit(seconds_, s, 0);
    if (ps < 0) {
      s = 59;
      if (--mi < 0) {
        mi = 59;
        if (--h < 0) {
          h = 23;
          --d;
        }
      }
      continue;
    }
    return daysFromCivil(y, m, d) * kSecondsPerDay + h * 3600 + mi * 60 + ps;
  }
  return std::nullopt;
}

int64_t CronExpression::toLocal(int64_t instant) const {
  if (!zone_) return instant;
  auto info = zone_->get_info(date::sys_seconds{Seconds{instant}});
  return instant + info.offset.count();
}

int64_t CronExpression::toInstant(int64_t local, LocalKind& kind, int64_t& boundary) const {
  kind = LocalKind::Unique;
  boundary = local;
  if (!zone_) return local;
  auto info = zone_->get_info(date::local_seconds{Seconds{local}});
  switch (info.result) {
    case date::local_info::unique: return local - info.first.offset.count();
    case date::local_info::nonexistent: {
      // The clocks jump at info.second.begin; the skipped local times fire then, once.
      kind = LocalKind::Skipped;
      int64_t jump = info.second.begin.time_since_epoch().count();
      boundary = jump + info.second.offset.count();
      return jump;
    }
    case date::local_info::ambiguous: {
      // The first occurrence, under the offset before the clocks went back.
      kind = LocalKind::Repeated;
      int64_t back = info.first.end.time_since_epoch().count();
      boundary = back + info.first.offset.count();
      return local - info.first.offset.count();
    }
  }
  return local - info.first.offset.count();
}

std::optional<CronExpression::TimePoint> CronExpression::next(TimePoint after) const {
  const int64_t a = std::chrono::floor<Seconds>(after).time_since_epoch().count();
  int64_t from = toLocal(a + 1);
  // Each retry moves past one gap or overlap; a handful is plenty.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto local = nextLocal(from);
    if (!local) return std::nullopt;
    LocalKind kind;
    int64_t boundary = 0;
    int64_t instant = toInstant(*local, kind, boundary);
    if (instant > a) return TimePoint(Seconds(instant));
    // A repeated local time whose first occurrence has passed (or a gap already fired).
    from = kind == LocalKind::Unique ? *local + 1 : std::max(boundary, *local + 1);
  }
  return std::nullopt;
}

std::optional<CronExpression::TimePoint> CronExpression::previous(TimePoint at) const {
  const int64_t t = std::chrono::floor<Seconds>(at).time_since_epoch().count();
  const int64_t localT = toLocal(t);
  std::optional<int64_t> best;
  LocalKind kind;
  int64_t boundary = 0;
  if (auto local = previousLocal(localT)) best = toInstant(*local, kind, boundary);
  if (zone_) {
    // In the second pass of an overlap, local times later than now on the wall clock fired
    // during the first pass, before `at`.
    auto info = zone_->get_info(date::local_seconds{Seconds{localT}});
    if (info.result == date::local_info::ambiguous && t >= info.second.begin.time_since_epoch().count()) {
      int64_t overlapEnd = info.first.end.time_since_epoch().count() + info.first.offset.count();
      if (auto local = previousLocal(overlapEnd - 1); local && *local > localT) {
        int64_t instant = toInstant(*local, kind, boundary);
        if (!best || instant > *best) best = instant;
      }
    }
  }
  if (!best) return std::nullopt;
  return TimePoint(Seconds(*best));
}

}  // namespace tributary::scheduler
