# tributary_add_connector(): build one Tributary connector plugin.
#
#   tributary_add_connector(<target> SOURCES <files>...
#                           [WERROR]                     # -Wall -Wextra -Werror
#                           [OUTPUT_DIRECTORY <dir>]     # default: ${TRIBUTARY_PLUGIN_OUTPUT_DIR},
#                                                        #   else ${CMAKE_BINARY_DIR}/plugins
#                           [INSTALL_DESTINATION <dir>]  # default: ${TRIBUTARY_PLUGIN_INSTALL_DIR},
#                                                        #   else ${CMAKE_INSTALL_LIBDIR}/tributary/plugins
#                           [NO_INSTALL])
#
# The result is <dir>/<target>.so: a MODULE linked to Tributary::sdk only, with hidden
# visibility and a version script that exports the entry symbol alone, so the plugin's
# copies of inline C++ code never meet the host's. Link only C libraries and header-only
# C++ (the ABI is C; the host may be built with another C++ standard library).
if(CMAKE_VERSION VERSION_LESS 3.17)
  message(FATAL_ERROR "TributarySDK needs CMake 3.17 or newer")
endif()
include_guard(GLOBAL)
include(GNUInstallDirs)


function(tributary_add_connector NAME)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "WERROR;NO_INSTALL" "OUTPUT_DIRECTORY;INSTALL_DESTINATION"
                        "SOURCES")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tributary_add_connector(${NAME}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "tributary_add_connector(${NAME}): give the plugin's sources with SOURCES")
  endif()
  if(NOT TARGET Tributary::sdk)
    message(FATAL_ERROR "tributary_add_connector(${NAME}): Tributary::sdk is missing; "
                        "call find_package(TributarySDK 1 REQUIRED) first")
  endif()

  # The version script lies beside this file, installed or in the source tree.
  set(version_script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/tributary_connector.map")
  set(out_dir "${ARG_OUTPUT_DIRECTORY}")
  if(NOT out_dir)
    set(out_dir "${TRIBUTARY_PLUGIN_OUTPUT_DIR}")
  endif()
  if(NOT out_dir)
    set(out_dir "${CMAKE_BINARY_DIR}/plugins")
  endif()

  add_library(${NAME} MODULE ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE Tributary::sdk)
  set_target_properties(${NAME} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    LIBRARY_OUTPUT_DIRECTORY "${out_dir}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${version_script}")
  if(NOT DEFINED CMAKE_CXX_STANDARD)
    set_target_properties(${NAME} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
  endif()
  target_link_options(${NAME} PRIVATE "LINKER:--version-script=${version_script}")
  # The host refuses plugin files that group or others can write; a umask of 002 must not
  # make a fresh build unloadable.
  add_custom_command(TARGET ${NAME} POST_BUILD COMMAND chmod go-w "$<TARGET_FILE:${NAME}>" VERBATIM)
  if(ARG_WERROR)
    target_compile_options(${NAME} PRIVATE -Wall -Wextra -Werror)
  endif()

  if(NOT ARG_NO_INSTALL)
    set(dest "${ARG_INSTALL_DESTINATION}")
    if(NOT dest)
      set(dest "${TRIBUTARY_PLUGIN_INSTALL_DIR}")
    endif()
    if(NOT dest)
      set(dest "${CMAKE_INSTALL_LIBDIR}/tributary/plugins")
    endif()
    install(TARGETS ${NAME} LIBRARY DESTINATION "${dest}" COMPONENT runtime)
  endif()
endfunction()
