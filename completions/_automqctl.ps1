
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'automqctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'automqctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'automqctl' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('topic', 'topic', [CompletionResultType]::ParameterValue, 'Create, list, describe, reconfigure, grow, trim and delete topics')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'List and describe consumer groups, move their committed offsets, delete them')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'The cluster''s identity, brokers and broker configs')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Save clusters under names and pick the one commands use')
            [CompletionResult]::new('storage', 'storage', [CompletionResultType]::ParameterValue, 'Check storage locations before a broker uses them')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark producing and consuming: throughput, latency percentiles, pictures')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (see the README for where each shell loads it from)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;topic' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; partitions and replication factor default to the brokers'' settings')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List topics with their partition count and replication factor')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs')
            [CompletionResult]::new('alter-config', 'alter-config', [CompletionResultType]::ParameterValue, 'Set or remove topic configs (IncrementalAlterConfigs)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete topics')
            [CompletionResult]::new('add-partitions', 'add-partitions', [CompletionResultType]::ParameterValue, 'Raise a topic''s partition count')
            [CompletionResult]::new('trim', 'trim', [CompletionResultType]::ParameterValue, 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;topic;create' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Number of partitions [default: the brokers'' num.partitions]')
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Number of partitions [default: the brokers'' num.partitions]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Replicas per partition [default: the brokers'' default.replication.factor]')
            [CompletionResult]::new('--replication-factor', '--replication-factor', [CompletionResultType]::ParameterName, 'Replicas per partition [default: the brokers'' default.replication.factor]')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'A topic config, repeatable: --config retention.ms=86400000')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'A topic config, repeatable: --config retention.ms=86400000')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--if-not-exists', '--if-not-exists', [CompletionResultType]::ParameterName, 'Succeed without change when the topic exists')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Have the controller validate the request without creating anything')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--internal', '--internal', [CompletionResultType]::ParameterName, 'Include internal topics (__consumer_offsets, …)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;describe' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--all-configs', '--all-configs', [CompletionResultType]::ParameterName, 'Show every config, defaults included (by default only the configs set on the topic or its brokers)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;alter-config' {
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Set a config, repeatable: --set retention.ms=3600000')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Remove a config so the topic inherits the broker''s value, repeatable')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Have the broker validate the change without applying it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;delete' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--if-exists', '--if-exists', [CompletionResultType]::ParameterName, 'Succeed for topics that do not exist')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;add-partitions' {
            [CompletionResult]::new('--total', '--total', [CompletionResultType]::ParameterName, 'The new total number of partitions')
            [CompletionResult]::new('--add', '--add', [CompletionResultType]::ParameterName, 'How many partitions to add')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Have the controller validate the change without applying it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;trim' {
            [CompletionResult]::new('--before-offset', '--before-offset', [CompletionResultType]::ParameterName, 'Delete the records before this offset in each chosen partition')
            [CompletionResult]::new('--before-time', '--before-time', [CompletionResultType]::ParameterName, 'Delete the records older than this RFC 3339 time (2026-05-01T00:00:00Z)')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Only these partitions (repeatable) [default: all]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be deleted without deleting')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;topic;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; partitions and replication factor default to the brokers'' settings')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List topics with their partition count and replication factor')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs')
            [CompletionResult]::new('alter-config', 'alter-config', [CompletionResultType]::ParameterValue, 'Set or remove topic configs (IncrementalAlterConfigs)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete topics')
            [CompletionResult]::new('add-partitions', 'add-partitions', [CompletionResultType]::ParameterValue, 'Raise a topic''s partition count')
            [CompletionResult]::new('trim', 'trim', [CompletionResultType]::ParameterValue, 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;topic;help;create' {
            break
        }
        'automqctl;topic;help;list' {
            break
        }
        'automqctl;topic;help;describe' {
            break
        }
        'automqctl;topic;help;alter-config' {
            break
        }
        'automqctl;topic;help;delete' {
            break
        }
        'automqctl;topic;help;add-partitions' {
            break
        }
        'automqctl;topic;help;trim' {
            break
        }
        'automqctl;topic;help;help' {
            break
        }
        'automqctl;group' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List groups with their state and type')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show groups'' members and assignments, and committed offsets with lag per partition')
            [CompletionResult]::new('seek', 'seek', [CompletionResultType]::ParameterValue, 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete groups (they must have no active members) with their committed offsets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;group;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;group;describe' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;group;seek' {
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'A topic whose offsets to move, repeatable; required unless --to names a file')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Where to: `start`, `end`, an RFC 3339 time (the first record at or after it), or a file of `topic,partition,offset` lines')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Only these partitions of the one --topic (repeatable) [default: all]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print prior and new offsets without committing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;group;delete' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;group;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List groups with their state and type')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show groups'' members and assignments, and committed offsets with lag per partition')
            [CompletionResult]::new('seek', 'seek', [CompletionResultType]::ParameterValue, 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete groups (they must have no active members) with their committed offsets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;group;help;list' {
            break
        }
        'automqctl;group;help;describe' {
            break
        }
        'automqctl;group;help;seek' {
            break
        }
        'automqctl;group;help;delete' {
            break
        }
        'automqctl;group;help;help' {
            break
        }
        'automqctl;cluster' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'The cluster id, the controller and the brokers')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Read and change broker configs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;cluster;info' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;cluster;config' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change broker configs dynamically: cluster-wide by default, or on one --broker')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;cluster;config;get' {
            [CompletionResult]::new('--broker', '--broker', [CompletionResultType]::ParameterName, 'The broker to ask [default: the lowest broker id]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--defaults', '--defaults', [CompletionResultType]::ParameterName, 'The cluster-wide dynamic defaults instead of one broker''s configs')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every config, Kafka''s own defaults included')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;cluster;config;set' {
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Remove a dynamic config, repeatable, falling back to the broker''s file or Kafka''s default')
            [CompletionResult]::new('--broker', '--broker', [CompletionResultType]::ParameterName, 'Only this broker [default: every broker, as a cluster-wide default]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Have the broker validate the change without applying it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;cluster;config;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change broker configs dynamically: cluster-wide by default, or on one --broker')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;cluster;config;help;get' {
            break
        }
        'automqctl;cluster;config;help;set' {
            break
        }
        'automqctl;cluster;config;help;help' {
            break
        }
        'automqctl;cluster;help' {
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'The cluster id, the controller and the brokers')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Read and change broker configs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;cluster;help;info' {
            break
        }
        'automqctl;cluster;help;config' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change broker configs dynamically: cluster-wide by default, or on one --broker')
            break
        }
        'automqctl;cluster;help;config;get' {
            break
        }
        'automqctl;cluster;help;config;set' {
            break
        }
        'automqctl;cluster;help;help' {
            break
        }
        'automqctl;profile' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the one commands use when no cluster is given')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; the current one is marked')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;profile;create' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--use', '--use', [CompletionResultType]::ParameterName, 'Make it the current profile too')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a profile of that name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;profile;use' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;profile;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;profile;delete' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;profile;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the one commands use when no cluster is given')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; the current one is marked')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;profile;help;create' {
            break
        }
        'automqctl;profile;help;use' {
            break
        }
        'automqctl;profile;help;list' {
            break
        }
        'automqctl;profile;help;delete' {
            break
        }
        'automqctl;profile;help;help' {
            break
        }
        'automqctl;storage' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;storage;check' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'Roles to check the store for (repeatable): data, wal, meta')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long any one request may take')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('--create', '--create', [CompletionResultType]::ParameterName, 'Create the bucket or directory when it does not exist')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'automqctl;storage;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;storage;help;check' {
            break
        }
        'automqctl;storage;help;help' {
            break
        }
        'automqctl;bench' {
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster to measure (HOST:PORT[,HOST:PORT…])')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster to measure (HOST:PORT[,HOST:PORT…])')
            [CompletionResult]::new('--broker-backend', '--broker-backend', [CompletionResultType]::ParameterName, 'Start an automqd for the run, its data at URI (file:///…, s3://…?…, hdfs://…); without a URI, in a temporary directory. The binary is AUTOMQD_BIN, or automqd next to automqctl')
            [CompletionResult]::new('--wal', '--wal', [CompletionResultType]::ParameterName, 'The WAL kind of an automqd the bench starts')
            [CompletionResult]::new('--compare', '--compare', [CompletionResultType]::ParameterName, 'Run the same workload against two clusters in turn and print each metric''s ratio: two targets, or one beside --bootstrap-server / --broker-backend. A target is HOST:PORT, a backend URI (an automqd started there), or `automqd` (one on a temporary directory), optionally named: kafka=127.0.0.1:19092')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'The topic to use; default: a fresh one, deleted afterwards')
            [CompletionResult]::new('--partitions', '--partitions', [CompletionResultType]::ParameterName, 'Partitions of a fresh topic')
            [CompletionResult]::new('--replication-factor', '--replication-factor', [CompletionResultType]::ParameterName, 'Replication factor of a fresh topic; -1: the cluster''s default')
            [CompletionResult]::new('--record-size', '--record-size', [CompletionResultType]::ParameterName, 'Bytes per record value (at least 16: a header carries the send time)')
            [CompletionResult]::new('--key-distribution', '--key-distribution', [CompletionResultType]::ParameterName, 'How records get keys: none (the client''s partitioner), random (8 random bytes), round-robin (no key, partitions in turn)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Records per second over all producers; default: as fast as the cluster takes them')
            [CompletionResult]::new('--producers', '--producers', [CompletionResultType]::ParameterName, 'Producer clients, each on its own thread with its share of the rate')
            [CompletionResult]::new('--consumers', '--consumers', [CompletionResultType]::ParameterName, 'Consumer clients; the partitions are spread over them')
            [CompletionResult]::new('--acks', '--acks', [CompletionResultType]::ParameterName, 'Acknowledgements a produce waits for')
            [CompletionResult]::new('--compression', '--compression', [CompletionResultType]::ParameterName, 'none, gzip, snappy or lz4')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'The producer''s batch.size in bytes (default: librdkafka''s)')
            [CompletionResult]::new('--linger-ms', '--linger-ms', [CompletionResultType]::ParameterName, 'The producer''s linger.ms (default: librdkafka''s, 5)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to produce after the warm-up (30s, 2m, 500ms; a bare number is seconds)')
            [CompletionResult]::new('--records', '--records', [CompletionResultType]::ParameterName, 'How many records to produce after the warm-up')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Produce this long before measuring')
            [CompletionResult]::new('--catch-up-mb', '--catch-up-mb', [CompletionResultType]::ParameterName, 'Also fill a second topic with this many MB, then time reading it from the start. An automqd the bench started is restarted in between, so the reads come from objects')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Write latency-over-time, latency-distribution and throughput-over-time SVGs into DIR')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'Consumers give up after this long without reaching the end')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'automqctl;completions' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'How to print results')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--bootstrap-server', '--bootstrap-server', [CompletionResultType]::ParameterName, 'The cluster''s bootstrap servers (HOST:PORT[,HOST:PORT…]); overrides the profile''s address')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'A saved profile (see `automqctl profile`); without this or a bootstrap server, the current profile')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'A client setting by its Kafka name, repeatable: request.timeout.ms, default.api.timeout.ms, socket.connection.setup.timeout.ms, retry.backoff.ms, client.id, max.response.bytes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'automqctl;help' {
            [CompletionResult]::new('topic', 'topic', [CompletionResultType]::ParameterValue, 'Create, list, describe, reconfigure, grow, trim and delete topics')
            [CompletionResult]::new('group', 'group', [CompletionResultType]::ParameterValue, 'List and describe consumer groups, move their committed offsets, delete them')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'The cluster''s identity, brokers and broker configs')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Save clusters under names and pick the one commands use')
            [CompletionResult]::new('storage', 'storage', [CompletionResultType]::ParameterValue, 'Check storage locations before a broker uses them')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark producing and consuming: throughput, latency percentiles, pictures')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (see the README for where each shell loads it from)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'automqctl;help;topic' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a topic; partitions and replication factor default to the brokers'' settings')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List topics with their partition count and replication factor')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show topics'' partitions (leader, replicas, in-sync replicas, start and end offsets) and configs')
            [CompletionResult]::new('alter-config', 'alter-config', [CompletionResultType]::ParameterValue, 'Set or remove topic configs (IncrementalAlterConfigs)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete topics')
            [CompletionResult]::new('add-partitions', 'add-partitions', [CompletionResultType]::ParameterValue, 'Raise a topic''s partition count')
            [CompletionResult]::new('trim', 'trim', [CompletionResultType]::ParameterValue, 'Delete a topic''s oldest records: those before an offset or before a time (DeleteRecords)')
            break
        }
        'automqctl;help;topic;create' {
            break
        }
        'automqctl;help;topic;list' {
            break
        }
        'automqctl;help;topic;describe' {
            break
        }
        'automqctl;help;topic;alter-config' {
            break
        }
        'automqctl;help;topic;delete' {
            break
        }
        'automqctl;help;topic;add-partitions' {
            break
        }
        'automqctl;help;topic;trim' {
            break
        }
        'automqctl;help;group' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List groups with their state and type')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show groups'' members and assignments, and committed offsets with lag per partition')
            [CompletionResult]::new('seek', 'seek', [CompletionResultType]::ParameterValue, 'Move a group''s committed offsets (the group must have no active members); prints prior and new offsets')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete groups (they must have no active members) with their committed offsets')
            break
        }
        'automqctl;help;group;list' {
            break
        }
        'automqctl;help;group;describe' {
            break
        }
        'automqctl;help;group;seek' {
            break
        }
        'automqctl;help;group;delete' {
            break
        }
        'automqctl;help;cluster' {
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'The cluster id, the controller and the brokers')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Read and change broker configs')
            break
        }
        'automqctl;help;cluster;info' {
            break
        }
        'automqctl;help;cluster;config' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Broker configs: those set on the broker (dynamically or in its file), or the KEYs named, or --all')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change broker configs dynamically: cluster-wide by default, or on one --broker')
            break
        }
        'automqctl;help;cluster;config;get' {
            break
        }
        'automqctl;help;cluster;config;set' {
            break
        }
        'automqctl;help;profile' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Save a cluster under a name: `profile create prod --bootstrap-server b1:9092,b2:9092 -X client.id=ops`. The address comes from the global --bootstrap-server and the settings from the global -X flags')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make a profile the one commands use when no cluster is given')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the profiles; the current one is marked')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a profile')
            break
        }
        'automqctl;help;profile;create' {
            break
        }
        'automqctl;help;profile;use' {
            break
        }
        'automqctl;help;profile;list' {
            break
        }
        'automqctl;help;profile;delete' {
            break
        }
        'automqctl;help;storage' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why')
            break
        }
        'automqctl;help;storage;check' {
            break
        }
        'automqctl;help;bench' {
            break
        }
        'automqctl;help;completions' {
            break
        }
        'automqctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
