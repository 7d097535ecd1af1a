SELECT current_database(),
       current_setting('server_version'),
       current_setting('server_version_num')::int
