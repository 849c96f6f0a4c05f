# Writes OUTPUT, a C++ source holding INPUT (the OpenAPI document) as a string:
# cmake -DINPUT=openapi.json -DOUTPUT=OpenApiDocument.cpp -P embed.cmake
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from host/openapi/openapi.json by host/openapi/embed.cmake: edit that file.\n"
  "namespace tributary::api {\n"
  "extern const char* const kOpenApiDocument;\n"
  "const char* const kOpenApiDocument = R\"openapi_doc(${content})openapi_doc\";\n"
  "}  // namespace tributary::api\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
