
use builtin;
use str;

set edit:completion:arg-completer[automqctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'automqctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'automqctl'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand topic 'Create, list, describe, reconfigure, grow, trim and delete topics'
            cand group 'List and describe consumer groups, move their committed offsets, delete them'
            cand cluster 'The cluster''s identity, brokers and broker configs'
            cand profile 'Save clusters under names and pick the one commands use'
            cand storage 'Check storage locations before a broker uses them'
            cand bench 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;topic'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a topic; partitions and replication factor default to the brokers'' settings'
            cand list 'List topics with their partition count and replication factor'
            cand describe 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
            cand alter-config 'Set or remove topic configs (IncrementalAlterConfigs)'
            cand delete 'Delete topics'
            cand add-partitions 'Raise a topic''s partition count'
            cand trim 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;topic;create'= {
            cand -p 'Number of partitions [default: the brokers'' num.partitions]'
            cand --partitions 'Number of partitions [default: the brokers'' num.partitions]'
            cand -r 'Replicas per partition [default: the brokers'' default.replication.factor]'
            cand --replication-factor 'Replicas per partition [default: the brokers'' default.replication.factor]'
            cand -c 'A topic config, repeatable: --config retention.ms=86400000'
            cand --config 'A topic config, repeatable: --config retention.ms=86400000'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --if-not-exists 'Succeed without change when the topic exists'
            cand --dry-run 'Have the controller validate the request without creating anything'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;list'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --internal 'Include internal topics (__consumer_offsets, …)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;describe'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --all-configs 'Show every config, defaults included (by default only the configs set on the topic or its brokers)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;alter-config'= {
            cand --set 'Set a config, repeatable: --set retention.ms=3600000'
            cand --delete 'Remove a config so the topic inherits the broker''s value, repeatable'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --dry-run 'Have the broker validate the change without applying it'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;delete'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --if-exists 'Succeed for topics that do not exist'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;add-partitions'= {
            cand --total 'The new total number of partitions'
            cand --add 'How many partitions to add'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --dry-run 'Have the controller validate the change without applying it'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;trim'= {
            cand --before-offset 'Delete the records before this offset in each chosen partition'
            cand --before-time 'Delete the records older than this RFC 3339 time (2026-05-01T00:00:00Z)'
            cand --partition 'Only these partitions (repeatable) [default: all]'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --dry-run 'Print what would be deleted without deleting'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;topic;help'= {
            cand create 'Create a topic; partitions and replication factor default to the brokers'' settings'
            cand list 'List topics with their partition count and replication factor'
            cand describe 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
            cand alter-config 'Set or remove topic configs (IncrementalAlterConfigs)'
            cand delete 'Delete topics'
            cand add-partitions 'Raise a topic''s partition count'
            cand trim 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;topic;help;create'= {
        }
        &'automqctl;topic;help;list'= {
        }
        &'automqctl;topic;help;describe'= {
        }
        &'automqctl;topic;help;alter-config'= {
        }
        &'automqctl;topic;help;delete'= {
        }
        &'automqctl;topic;help;add-partitions'= {
        }
        &'automqctl;topic;help;trim'= {
        }
        &'automqctl;topic;help;help'= {
        }
        &'automqctl;group'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List groups with their state and type'
            cand describe 'Show groups'' members and assignments, and committed offsets with lag per partition'
            cand seek 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets'
            cand delete 'Delete groups (they must have no active members) with their committed offsets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;group;list'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;group;describe'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;group;seek'= {
            cand --topic 'A topic whose offsets to move, repeatable; required unless --to names a file'
            cand --to 'Where to: `start`, `end`, an RFC 3339 time (the first record at or after it), or a file of `topic,partition,offset` lines'
            cand --partition 'Only these partitions of the one --topic (repeatable) [default: all]'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --dry-run 'Print prior and new offsets without committing'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;group;delete'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;group;help'= {
            cand list 'List groups with their state and type'
            cand describe 'Show groups'' members and assignments, and committed offsets with lag per partition'
            cand seek 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets'
            cand delete 'Delete groups (they must have no active members) with their committed offsets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;group;help;list'= {
        }
        &'automqctl;group;help;describe'= {
        }
        &'automqctl;group;help;seek'= {
        }
        &'automqctl;group;help;delete'= {
        }
        &'automqctl;group;help;help'= {
        }
        &'automqctl;cluster'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand info 'The cluster id, the controller and the brokers'
            cand config 'Read and change broker configs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;cluster;info'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;cluster;config'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand get 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all'
            cand set 'Change broker configs dynamically: cluster-wide by default, or on one --broker'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;cluster;config;get'= {
            cand --broker 'The broker to ask [default: the lowest broker id]'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --defaults 'The cluster-wide dynamic defaults instead of one broker''s configs'
            cand --all 'Every config, Kafka''s own defaults included'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;cluster;config;set'= {
            cand --delete 'Remove a dynamic config, repeatable, falling back to the broker''s file or Kafka''s default'
            cand --broker 'Only this broker [default: every broker, as a cluster-wide default]'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --dry-run 'Have the broker validate the change without applying it'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;cluster;config;help'= {
            cand get 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all'
            cand set 'Change broker configs dynamically: cluster-wide by default, or on one --broker'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;cluster;config;help;get'= {
        }
        &'automqctl;cluster;config;help;set'= {
        }
        &'automqctl;cluster;config;help;help'= {
        }
        &'automqctl;cluster;help'= {
            cand info 'The cluster id, the controller and the brokers'
            cand config 'Read and change broker configs'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;cluster;help;info'= {
        }
        &'automqctl;cluster;help;config'= {
            cand get 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all'
            cand set 'Change broker configs dynamically: cluster-wide by default, or on one --broker'
        }
        &'automqctl;cluster;help;config;get'= {
        }
        &'automqctl;cluster;help;config;set'= {
        }
        &'automqctl;cluster;help;help'= {
        }
        &'automqctl;profile'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
            cand use 'Make a profile the one commands use when no cluster is given'
            cand list 'List the profiles; the current one is marked'
            cand delete 'Delete a profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;profile;create'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --use 'Make it the current profile too'
            cand --force 'Replace a profile of that name'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;profile;use'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;profile;list'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;profile;delete'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;profile;help'= {
            cand create 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
            cand use 'Make a profile the one commands use when no cluster is given'
            cand list 'List the profiles; the current one is marked'
            cand delete 'Delete a profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;profile;help;create'= {
        }
        &'automqctl;profile;help;use'= {
        }
        &'automqctl;profile;help;list'= {
        }
        &'automqctl;profile;help;delete'= {
        }
        &'automqctl;profile;help;help'= {
        }
        &'automqctl;storage'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;check'= {
            cand --role 'Roles to check the store for (repeatable): data, wal, meta'
            cand --timeout 'How long any one request may take'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand --create 'Create the bucket or directory when it does not exist'
            cand --quick 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'automqctl;storage;help'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;help;check'= {
        }
        &'automqctl;storage;help;help'= {
        }
        &'automqctl;bench'= {
            cand -b 'The cluster to measure (HOST:PORT[,HOST:PORT…])'
            cand --bootstrap-server 'The cluster to measure (HOST:PORT[,HOST:PORT…])'
            cand --broker-backend 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl'
            cand --wal 'The WAL kind of an automqd the bench starts'
            cand --compare 'Run the same workload against two clusters in turn and print each metric''s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092'
            cand --topic 'The topic to use; default: a fresh one, deleted afterwards'
            cand --partitions 'Partitions of a fresh topic'
            cand --replication-factor 'Replication factor of a fresh topic; -1: the cluster''s default'
            cand --record-size 'Bytes per record value (at least 16: a header carries the send time)'
            cand --key-distribution 'How records get keys: none (the client''s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)'
            cand --rate 'Records per second over all producers; default: as fast as the cluster takes them'
            cand --producers 'Producer clients, each on its own thread with its share of the rate'
            cand --consumers 'Consumer clients; the partitions are spread over them'
            cand --acks 'Acknowledgements a produce waits for'
            cand --compression 'none, gzip, snappy or lz4'
            cand --batch-size 'The producer''s batch.size in bytes (default: librdkafka''s)'
            cand --linger-ms 'The producer''s linger.ms (default: librdkafka''s, 5)'
            cand --duration 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)'
            cand --records 'How many records to produce after the warm-up'
            cand --warmup 'Produce this long before measuring'
            cand --catch-up-mb 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects'
            cand --plot 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR'
            cand --drain-timeout 'Consumers give up after this long without reaching the end'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'automqctl;completions'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -b 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --bootstrap-server 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address'
            cand --profile 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile'
            cand -X 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;help'= {
            cand topic 'Create, list, describe, reconfigure, grow, trim and delete topics'
            cand group 'List and describe consumer groups, move their committed offsets, delete them'
            cand cluster 'The cluster''s identity, brokers and broker configs'
            cand profile 'Save clusters under names and pick the one commands use'
            cand storage 'Check storage locations before a broker uses them'
            cand bench 'Benchmark producing and consuming: throughput, latency percentiles, pictures'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;help;topic'= {
            cand create 'Create a topic; partitions and replication factor default to the brokers'' settings'
            cand list 'List topics with their partition count and replication factor'
            cand describe 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs'
            cand alter-config 'Set or remove topic configs (IncrementalAlterConfigs)'
            cand delete 'Delete topics'
            cand add-partitions 'Raise a topic''s partition count'
            cand trim 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)'
        }
        &'automqctl;help;topic;create'= {
        }
        &'automqctl;help;topic;list'= {
        }
        &'automqctl;help;topic;describe'= {
        }
        &'automqctl;help;topic;alter-config'= {
        }
        &'automqctl;help;topic;delete'= {
        }
        &'automqctl;help;topic;add-partitions'= {
        }
        &'automqctl;help;topic;trim'= {
        }
        &'automqctl;help;group'= {
            cand list 'List groups with their state and type'
            cand describe 'Show groups'' members and assignments, and committed offsets with lag per partition'
            cand seek 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets'
            cand delete 'Delete groups (they must have no active members) with their committed offsets'
        }
        &'automqctl;help;group;list'= {
        }
        &'automqctl;help;group;describe'= {
        }
        &'automqctl;help;group;seek'= {
        }
        &'automqctl;help;group;delete'= {
        }
        &'automqctl;help;cluster'= {
            cand info 'The cluster id, the controller and the brokers'
            cand config 'Read and change broker configs'
        }
        &'automqctl;help;cluster;info'= {
        }
        &'automqctl;help;cluster;config'= {
            cand get 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all'
            cand set 'Change broker configs dynamically: cluster-wide by default, or on one --broker'
        }
        &'automqctl;help;cluster;config;get'= {
        }
        &'automqctl;help;cluster;config;set'= {
        }
        &'automqctl;help;profile'= {
            cand create 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags'
            cand use 'Make a profile the one commands use when no cluster is given'
            cand list 'List the profiles; the current one is marked'
            cand delete 'Delete a profile'
        }
        &'automqctl;help;profile;create'= {
        }
        &'automqctl;help;profile;use'= {
        }
        &'automqctl;help;profile;list'= {
        }
        &'automqctl;help;profile;delete'= {
        }
        &'automqctl;help;storage'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
        }
        &'automqctl;help;storage;check'= {
        }
        &'automqctl;help;bench'= {
        }
        &'automqctl;help;completions'= {
        }
        &'automqctl;help;help'= {
        }
    ]
    $completions[$command]
}
