# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): the Debian package is only right for a tree
# configured with -DCMAKE_INSTALL_PREFIX=/usr, because the configuration's destination
# (${CMAKE_INSTALL_FULL_SYSCONFDIR}/dkimwatch) is absolute and the unit runs /usr/bin/dkimwatch.
if(NOT CPACK_DKIMWATCH_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR
    "dkimwatch: this build tree was configured with CMAKE_INSTALL_PREFIX="
    "'${CPACK_DKIMWATCH_INSTALL_PREFIX}'; the Debian package needs /usr (configuration in "
    "/etc/dkimwatch, binary in /usr/bin). Reconfigure with -DCMAKE_INSTALL_PREFIX=/usr.")
endif()
