# Writes OUT, a C++ file defining forum_registry::store::EmbeddedMigrations()
# from the SQL FILES, in the order given.
set(body "")
foreach(file ${FILES})
  get_filename_component(base ${file} NAME)
  file(READ ${file} sql)
  string(FIND "${sql}" ")fr_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${base} contains the raw-string delimiter )fr_sql\"")
  endif()
  string(APPEND body "      {\"${base}\", R\"fr_sql(${sql})fr_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from migrations/*.sql by cmake/embed_migrations.cmake. Do not edit.
#include \"src/store/embedded_migrations.h\"

namespace forum_registry::store {

const std::vector<MigrationFile>& EmbeddedMigrations() {
  static const auto* const kMigrations = new std::vector<MigrationFile>{
${body}  };
  return *kMigrations;
}

}  // namespace forum_registry::store
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
