// The whole service: every module's routes and the service's own (/, /health).
#pragma once

#include "hellosvc/http.hpp"
#include "hellosvc/store.hpp"

namespace hellosvc {

extern const int kModules;
void register_all(Router& router, Store& store);

}  // namespace hellosvc
