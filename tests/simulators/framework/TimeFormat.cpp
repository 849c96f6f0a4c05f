#include "TimeFormat.h"

#include <cstdio>

namespace tributary::sim {
namespace {

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar.
Civil civilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Parts {
  Civil date;
  int64_t msOfDay;
};

Parts split(int64_t epochMs) {
  const int64_t days = floorDiv(epochMs, 86400000);
  return {civilFromDays(days), epochMs - days * 86400000};
}

bool digits(std::string_view text, size_t pos, size_t count, int64_t& out) {
  if (pos + count > text.size()) return false;
  int64_t value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

bool TimeFormat::validCivil(int64_t year, unsigned month, unsigned day) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const unsigned limit = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= limit;
}

int64_t TimeFormat::daysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string TimeFormat::isoMillisZ(int64_t epochMs) {
  const Parts p = split(epochMs);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(p.date.year), p.date.month, p.date.day,
                static_cast<long long>(p.msOfDay / 3600000), static_cast<long long>(p.msOfDay / 60000 % 60),
                static_cast<long long>(p.msOfDay / 1000 % 60), static_cast<long long>(p.msOfDay % 1000));
  return buffer;
}

std::string TimeFormat::salesforceDateTime(int64_t epochMs) {
  std::string text = isoMillisZ(epochMs);
  text.pop_back();
  return text + "+0000";
}

std::string TimeFormat::isoDate(int64_t epochMs) { return isoMillisZ(epochMs).substr(0, 10); }

int64_t TimeFormat::floorToMinute(int64_t epochMs) { return floorDiv(epochMs, 60000) * 60000; }

bool TimeFormat::isPlainDate(std::string_view text) {
  int64_t y = 0, m = 0, d = 0;
  return text.size() == 10 && digits(text, 0, 4, y) && text[4] == '-' && digits(text, 5, 2, m) && text[7] == '-' &&
         digits(text, 8, 2, d) && validCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::optional<int64_t> TimeFormat::parseIso(std::string_view text) {
  int64_t y = 0, mo = 0, d = 0;
  if (!(text.size() >= 10 && digits(text, 0, 4, y) && text[4] == '-' && digits(text, 5, 2, mo) && text[7] == '-' &&
        digits(text, 8, 2, d))) {
    return std::nullopt;
  }
  if (!validCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) return std::nullopt;
  int64_t ms = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400000;
  if (text.size() == 10) return ms;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  int64_t h = 0, mi = 0, s = 0;
  if (!digits(text, 11, 2, h) || text.size() < 16 || text[13] != ':' || !digits(text, 14, 2, mi)) {
    return std::nullopt;
  }
  size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!digits(text, pos + 1, 2, s)) return std::nullopt;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int64_t fraction = 0;
      int scale = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (scale < 3) {
          fraction = fraction * 10 + (text[pos] - '0');
          ++scale;
        }
        ++pos;
      }
      if (scale == 0) return std::nullopt;
      while (scale < 3) {
        fraction *= 10;
        ++scale;
      }
      ms += fraction;
    }
  }
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  ms += ((h * 60 + mi) * 60 + s) * 1000;
  if (pos == text.size()) return ms;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) return ms;
  if (text[pos] != '+' && text[pos] != '-') return std::nullopt;
  const int sign = text[pos] == '+' ? 1 : -1;
  int64_t oh = 0, om = 0;
  if (!digits(text, pos + 1, 2, oh)) return std::nullopt;
  size_t minutesAt = pos + 3;
  if (minutesAt < text.size() && text[minutesAt] == ':') ++minutesAt;
  if (!digits(text, minutesAt, 2, om) || minutesAt + 2 != text.size()) return std::nullopt;
  if (oh > 23 || om > 59) return std::nullopt;
  return ms - sign * (oh * 60 + om) * 60000;
}

}  // namespace tributary::sim
