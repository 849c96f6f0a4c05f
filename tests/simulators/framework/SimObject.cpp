#include "SimObject.h"

namespace tributary::sim {

SimObject::SimObject(std::string name, std::string canonicalEntity, ObjectStore::Options storeOptions)
    : name_(std::move(name)), canonicalEntity_(std::move(canonicalEntity)), store_(std::move(storeOptions)) {}

}  // namespace tributary::sim
