#include "app/JobKinds.h"

namespace tributary::app {

void registerJobKinds(queue::HandlerRegistry& registry, const config::Config& cfg) {
  queue::registerBuiltinKinds(registry, cfg.workers.testJobKinds);
}

}  // namespace tributary::app
