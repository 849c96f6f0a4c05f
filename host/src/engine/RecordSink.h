#pragma once

#include <string_view>

#include "plugins/RunServices.h"

namespace tributary::engine {

// Where the records (and links) of one sync call go: the stream's StreamWriter in a run, anything that
// counts them in a test. The calls come from the plugin's thread, in emit order.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void add(const plugins::RecordView& record) = 0;
  virtual void addError(std::string_view sourceId, std::string_view stage, std::string_view message,
                        std::string_view raw) = 0;
  // A link of a declared type (checked by the caller), in the batch with the records around it.
  virtual void addLink(const plugins::LinkTypeDescriptor& type, const plugins::LinkView& link) = 0;
  // The records added since the last checkpoint form a batch that commits with `cursor`.
  // Returns true if it committed (or started committing).
  virtual bool checkpoint(std::string_view cursor) = 0;
  // The stream's carried state (JSON text), to commit with the next checkpoint's batch, or at
  // the end of a successful call.
  virtual void stageState(std::string_view stateJson) = 0;
};

}  // namespace tributary::engine
