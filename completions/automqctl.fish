# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_automqctl_global_optspecs
    string join \n o/output= b/bootstrap-server= profile= X= h/help V/version
end

function __fish_automqctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_automqctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_automqctl_using_subcommand
    set -l cmd (__fish_automqctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c automqctl -n "__fish_automqctl_needs_command" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_needs_command" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_needs_command" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_needs_command" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_needs_command" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_needs_command" -s V -l version -d 'Print version'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "topic" -d 'Create, list, describe, reconfigure, grow, trim and delete topics'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "group" -d 'List and describe consumer groups, move their committed offsets, delete them'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "cluster" -d 'The cluster\'s identity, brokers and broker configs'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "profile" -d 'Save clusters under names and pick the one commands use'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "bench" -d 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "create" -d 'Create a topic; partitions and replication factor default to the brokers\' settings'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "list" -d 'List topics with their partition count and replication factor'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "describe" -d 'Show topics\' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "alter-config" -d 'Set or remove topic configs (IncrementalAlterConfigs)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "delete" -d 'Delete topics'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "add-partitions" -d 'Raise a topic\'s partition count'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "trim" -d 'Delete a topic\'s oldest records: those before an offset or before a time (DeleteRecords)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and not __fish_seen_subcommand_from create list describe alter-config delete add-partitions trim help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s p -l partitions -d 'Number of partitions [default: the brokers\' num.partitions]' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s r -l replication-factor -d 'Replicas per partition [default: the brokers\' default.replication.factor]' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s c -l config -d 'A topic config, repeatable: --config retention.ms=86400000' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -l if-not-exists -d 'Succeed without change when the topic exists'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -l dry-run -d 'Have the controller validate the request without creating anything'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -l internal -d 'Include internal topics (__consumer_offsets, …)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -l all-configs -d 'Show every config, defaults included (by default only the configs set on the topic or its brokers)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from describe" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -l set -d 'Set a config, repeatable: --set retention.ms=3600000' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -l delete -d 'Remove a config so the topic inherits the broker\'s value, repeatable' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -l dry-run -d 'Have the broker validate the change without applying it'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from alter-config" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -l if-exists -d 'Succeed for topics that do not exist'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -l total -d 'The new total number of partitions' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -l add -d 'How many partitions to add' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -l dry-run -d 'Have the controller validate the change without applying it'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from add-partitions" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -l before-offset -d 'Delete the records before this offset in each chosen partition' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -l before-time -d 'Delete the records older than this RFC 3339 time (2026-05-01T00:00:00Z)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -l partition -d 'Only these partitions (repeatable) [default: all]' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -l dry-run -d 'Print what would be deleted without deleting'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from trim" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a topic; partitions and replication factor default to the brokers\' settings'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "list" -d 'List topics with their partition count and replication factor'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "describe" -d 'Show topics\' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "alter-config" -d 'Set or remove topic configs (IncrementalAlterConfigs)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete topics'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "add-partitions" -d 'Raise a topic\'s partition count'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "trim" -d 'Delete a topic\'s oldest records: those before an offset or before a time (DeleteRecords)'
complete -c automqctl -n "__fish_automqctl_using_subcommand topic; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -f -a "list" -d 'List groups with their state and type'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -f -a "describe" -d 'Show groups\' members and assignments, and committed offsets with lag per partition'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -f -a "seek" -d 'Move a group\'s committed offsets (the group must have no active members); prints prior and new offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -f -a "delete" -d 'Delete groups (they must have no active members) with their committed offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and not __fish_seen_subcommand_from list describe seek delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from list" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from list" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from list" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from list" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from describe" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from describe" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from describe" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from describe" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from describe" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -l topic -d 'A topic whose offsets to move, repeatable; required unless --to names a file' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -l to -d 'Where to: `start`, `end`, an RFC 3339 time (the first record at or after it), or a file of `topic,partition,offset` lines' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -l partition -d 'Only these partitions of the one --topic (repeatable) [default: all]' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -l dry-run -d 'Print prior and new offsets without committing'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from seek" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from delete" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from delete" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from delete" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from delete" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "list" -d 'List groups with their state and type'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "describe" -d 'Show groups\' members and assignments, and committed offsets with lag per partition'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "seek" -d 'Move a group\'s committed offsets (the group must have no active members); prints prior and new offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete groups (they must have no active members) with their committed offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand group; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -f -a "info" -d 'The cluster id, the controller and the brokers'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -f -a "config" -d 'Read and change broker configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and not __fish_seen_subcommand_from info config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from info" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from info" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from info" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from info" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -f -a "get" -d 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -f -a "set" -d 'Change broker configs dynamically: cluster-wide by default, or on one --broker'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from config" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "info" -d 'The cluster id, the controller and the brokers'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "config" -d 'Read and change broker configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -f -a "create" -d 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -f -a "use" -d 'Make a profile the one commands use when no cluster is given'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -f -a "list" -d 'List the profiles; the current one is marked'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -f -a "delete" -d 'Delete a profile'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and not __fish_seen_subcommand_from create use list delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -l use -d 'Make it the current profile too'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -l force -d 'Replace a profile of that name'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from use" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from delete" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from delete" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from delete" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from delete" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "create" -d 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make a profile the one commands use when no cluster is given'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the profiles; the current one is marked'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a profile'
complete -c automqctl -n "__fish_automqctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l role -d 'Roles to check the store for (repeatable): data, wal, meta' -r -f -a "data\t'Holds stream objects: needs put, get, ranged get, list, delete and multipart'
wal\t'Holds the object WAL: needs what data needs; latency decides how fast produce is acknowledged'
meta\t'Holds the metadata log: needs atomic create-if-absent'"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l timeout -d 'How long any one request may take' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l create -d 'Create the bucket or directory when it does not exist'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l quick -d 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s b -l bootstrap-server -d 'The cluster to measure (HOST:PORT[,HOST:PORT…])' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l broker-backend -d 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l wal -d 'The WAL kind of an automqd the bench starts' -r -f -a "file\t''
object\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l compare -d 'Run the same workload against two clusters in turn and print each metric\'s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l topic -d 'The topic to use; default: a fresh one, deleted afterwards' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l partitions -d 'Partitions of a fresh topic' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l replication-factor -d 'Replication factor of a fresh topic; -1: the cluster\'s default' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l record-size -d 'Bytes per record value (at least 16: a header carries the send time)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l key-distribution -d 'How records get keys: none (the client\'s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l rate -d 'Records per second over all producers; default: as fast as the cluster takes them' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l producers -d 'Producer clients, each on its own thread with its share of the rate' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l consumers -d 'Consumer clients; the partitions are spread over them' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l acks -d 'Acknowledgements a produce waits for' -r -f -a "0\t''
1\t''
all\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l compression -d 'none, gzip, snappy or lz4' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l batch-size -d 'The producer\'s batch.size in bytes (default: librdkafka\'s)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l linger-ms -d 'The producer\'s linger.ms (default: librdkafka\'s, 5)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l duration -d 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l records -d 'How many records to produce after the warm-up' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l warmup -d 'Produce this long before measuring' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l catch-up-mb -d 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l plot -d 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR' -r -F
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l drain-timeout -d 'Consumers give up after this long without reaching the end' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s b -l bootstrap-server -d 'The cluster\'s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile\'s address' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -l profile -d 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s X -d 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "topic" -d 'Create, list, describe, reconfigure, grow, trim and delete topics'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "group" -d 'List and describe consumer groups, move their committed offsets, delete them'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "cluster" -d 'The cluster\'s identity, brokers and broker configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "profile" -d 'Save clusters under names and pick the one commands use'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "bench" -d 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from topic group cluster profile storage bench completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "create" -d 'Create a topic; partitions and replication factor default to the brokers\' settings'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "list" -d 'List topics with their partition count and replication factor'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "describe" -d 'Show topics\' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "alter-config" -d 'Set or remove topic configs (IncrementalAlterConfigs)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "delete" -d 'Delete topics'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "add-partitions" -d 'Raise a topic\'s partition count'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from topic" -f -a "trim" -d 'Delete a topic\'s oldest records: those before an offset or before a time (DeleteRecords)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "list" -d 'List groups with their state and type'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "describe" -d 'Show groups\' members and assignments, and committed offsets with lag per partition'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "seek" -d 'Move a group\'s committed offsets (the group must have no active members); prints prior and new offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from group" -f -a "delete" -d 'Delete groups (they must have no active members) with their committed offsets'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from cluster" -f -a "info" -d 'The cluster id, the controller and the brokers'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from cluster" -f -a "config" -d 'Read and change broker configs'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "create" -d 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "use" -d 'Make a profile the one commands use when no cluster is given'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List the profiles; the current one is marked'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "delete" -d 'Delete a profile'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from storage" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
