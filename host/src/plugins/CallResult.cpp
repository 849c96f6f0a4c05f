#include "plugins/CallResult.h"

namespace tributary::plugins {

std::string_view toString(ResultCode code) {
  switch (code) {
    case ResultCode::Ok: return "OK";
    case ResultCode::Retry: return "RETRY";
    case ResultCode::Fatal: return "FATAL";
    case ResultCode::Wait: return "WAIT";
    case ResultCode::Cancelled: return "CANCELLED";
  }
  return "?";
}

}  // namespace tributary::plugins
