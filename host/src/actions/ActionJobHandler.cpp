#include "actions/ActionJobHandler.h"

#include "actions/ActionRun.h"

namespace tributary::actions {

queue::Outcome ActionJobHandler::run(queue::JobContext& ctx) {
  ActionRun run(ctx, *cfg_, *registry_, *http_);
  return run.execute();
}

}  // namespace tributary::actions
